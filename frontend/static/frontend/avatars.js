// @ts-check
// A person's face inside an `.avatar` circle: their picture (the server's square
// JPEG, at an address that changes with each new picture: `PersonRef.avatar`)
// or, without one, their initials. Faces are decoration (the name is always
// written next to them), so the picture has an empty alt.

import { h, initials } from "./dom.js";

/** @import { PersonRef } from "./wire.gen.js" */

/** @param {Pick<PersonRef, "name" | "avatar">} person */
export function face(person) {
  return person.avatar ? h("img", { class: "face", src: person.avatar, alt: "", loading: "lazy", decoding: "async" }) : initials(person.name);
}
