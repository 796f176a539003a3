// @ts-check
// The organization settings page (/organization/), for its admins: the
// verified domains (POST and DELETE /api/organization/domains/) and the
// people, whose role an admin changes (PUT /api/organization/people/{id}/)
// and whom an admin deactivates (POST /api/people/{id}/deactivate/); the
// identity provider for single sign-on (GET, PUT and DELETE
// /api/organization/identity-provider/; the secret is write-only). The
// first screen comes in the page's boot object; each change redraws from
// the server's answer (docs/protocol.md, "Organization settings"). Retention
// and legal holds are retention.js's; connectors (outgoing webhooks) connectors.js's;
// the Matrix bridge matrix.js's;
// bots and incoming webhooks bots.js's.

import { del, get, post, put } from "./api.js";
import { $, $maybe, confirmButton, h, readBoot, timeEl } from "./dom.js";
import { errorText } from "./errors.js";
import { startConnectors } from "./connectors.js";
import { startMatrix } from "./matrix.js";
import { startBots } from "./bots.js";
import { startRetention } from "./retention.js";

/** @import { IdentityProviderView, OrganizationSettings, OrgPerson } from "./wire.gen.js" */

const boot = /** @type {{me: {id: number}, organization: OrganizationSettings, identity_provider: IdentityProviderView | null}} */ (
  readBoot()
);
const domainList = $("#domain-list");
const domainForm = /** @type {HTMLFormElement} */ ($("#domain-form"));
const domainInput = /** @type {HTMLInputElement} */ ($("#domain-input"));
const domainError = $("#domain-error");
const peopleList = $("#people-list");
const peopleError = $("#people-error");
const peopleStatus = $("#people-status");

/**
 * @param {HTMLElement} el
 * @param {unknown} problem
 */
function showError(el, problem) {
  el.textContent = errorText(problem);
  el.hidden = false;
}

/** @param {string[]} domains */
function drawDomains(domains) {
  domainList.replaceChildren(
    ...(domains.length
      ? domains.map((domain) =>
          h(
            "li",
            { class: "domain-row" },
            h("span", { class: "domain-name" }, domain),
            confirmButton("Remove", "Confirm remove", () => removeDomain(domain), {
              class: "button small danger-outline",
              aria: { label: `Remove ${domain}` },
            }),
          ),
        )
      : [h("li", { class: "muted" }, "No verified domains: people join only by invitation.")]),
  );
}

/** @param {string} domain */
async function removeDomain(domain) {
  domainError.hidden = true;
  try {
    /** @type {{domains: string[]}} */
    const answer = await del(`/api/organization/domains/${encodeURIComponent(domain)}/`);
    drawDomains(answer.domains);
  } catch (problem) {
    showError(domainError, problem);
  }
}

domainForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  domainError.hidden = true;
  const domain = domainInput.value.trim();
  if (!domain) {
    showError(domainError, new Error("Type a domain, such as acme.example."));
    domainInput.focus();
    return;
  }
  try {
    /** @type {{domains: string[]}} */
    const answer = await post("/api/organization/domains/", { domain });
    drawDomains(answer.domains);
    domainInput.value = "";
  } catch (problem) {
    showError(domainError, problem);
    domainInput.focus();
  }
});

/** @param {OrgPerson} person */
function personRow(person) {
  const isMe = person.id === boot.me.id;
  const role = h("span", { class: `role-badge ${person.role}` }, person.role === "admin" ? "Admin" : "Member");
  const seen = person.last_seen ? h("span", {}, "Last seen ", timeEl(person.last_seen)) : h("span", {}, "Never seen");
  /** @type {HTMLElement[]} */
  const actions = [];
  if (person.active) {
    const next = person.role === "admin" ? "member" : "admin";
    const label = next === "admin" ? "Make admin" : isMe ? "Step down as admin" : "Make member";
    actions.push(
      h("button", { type: "button", class: "button small", onclick: () => setRole(person, next) }, label),
      confirmButton("Deactivate", "Confirm deactivate", () => deactivate(person), {
        class: "button small danger-outline",
        aria: { label: `Deactivate ${person.name}` },
      }),
    );
  }
  return h(
    "li",
    { class: `org-person${person.active ? "" : " inactive"}`, dataset: { person: person.id } },
    h(
      "div",
      { class: "org-person-who" },
      h("strong", {}, person.name, isMe ? " (you)" : ""),
      " ",
      role,
      person.active ? null : h("span", { class: "role-badge inactive" }, "Deactivated"),
      h("div", { class: "muted small" }, [person.email, person.title].filter(Boolean).join(" · ")),
      h("div", { class: "muted small" }, seen),
    ),
    actions.length ? h("div", { class: "org-person-actions" }, ...actions) : null,
  );
}

/** @param {OrgPerson[]} people */
function drawPeople(people) {
  peopleList.replaceChildren(...people.map(personRow));
}

/** Redraw the people from the server: a deactivation changes more than one row's buttons. */
async function reload() {
  /** @type {{organization: OrganizationSettings}} */
  const answer = await get("/api/organization/");
  drawPeople(answer.organization.people);
}

/**
 * @param {OrgPerson} person
 * @param {"admin" | "member"} role
 */
async function setRole(person, role) {
  peopleError.hidden = true;
  try {
    await put(`/api/organization/people/${person.id}/`, { role });
    if (person.id === boot.me.id && role === "member") {
      // No longer an admin: this page is no longer theirs.
      location.assign("/");
      return;
    }
    await reload();
    peopleStatus.textContent = `${person.name} is now ${role === "admin" ? "an admin" : "a member"}.`;
    /** @type {HTMLElement | null} */ (peopleList.querySelector(`[data-person="${person.id}"] button`))?.focus();
  } catch (problem) {
    showError(peopleError, problem);
  }
}

/** @param {OrgPerson} person */
async function deactivate(person) {
  peopleError.hidden = true;
  try {
    await post(`/api/people/${person.id}/deactivate/`);
    if (person.id === boot.me.id) {
      location.assign("/");
      return;
    }
    await reload();
    peopleStatus.textContent = `${person.name} is deactivated.`;
    // Their buttons are gone with the focus: keyboard users go on from the list's heading.
    $("#people-heading").focus();
  } catch (problem) {
    showError(peopleError, problem);
  }
}

// --- identity provider -------------------------------------------------------------

const ssoForm = /** @type {HTMLFormElement} */ ($("#sso-form"));
const ssoIssuer = /** @type {HTMLInputElement} */ ($("#sso-issuer"));
const ssoClientId = /** @type {HTMLInputElement} */ ($("#sso-client-id"));
const ssoSecret = /** @type {HTMLInputElement} */ ($("#sso-client-secret"));
const ssoRequire = /** @type {HTMLInputElement} */ ($("#sso-require"));
const ssoActions = $("#sso-actions");
const ssoState = $("#sso-state");
const ssoError = $("#sso-error");
const ssoStatus = $("#sso-status");

/** @param {IdentityProviderView | null} idp */
function drawSso(idp) {
  ssoIssuer.value = idp ? idp.issuer : "";
  ssoClientId.value = idp ? idp.client_id : "";
  ssoSecret.value = "";
  // Never the secret itself: only whether one is stored.
  ssoSecret.placeholder = idp?.has_secret ? "•••••••• (set)" : "";
  ssoRequire.checked = Boolean(idp?.require_sso);
  ssoState.replaceChildren(
    ...(idp
      ? [
          h("strong", {}, idp.require_sso ? "Single sign-on is required." : "Single sign-on is offered."),
          " Callback URL to register at the provider: ",
          h("code", { id: "sso-callback" }, `${location.origin}${idp.callback_path}`),
          ...(idp.passwordless_people
            ? [
                h(
                  "p",
                  { class: "muted small", id: "sso-passwordless" },
                  `${idp.passwordless_people === 1 ? "1 person signs" : `${idp.passwordless_people} people sign`} in only through it. If you remove it, they set a password with “Forgot your password?” on the sign-in page.`,
                ),
              ]
            : []),
        ]
      : [h("span", { class: "muted" }, "No identity provider: people sign in with passwords.")]),
  );
  ssoActions.querySelector(".sso-remove")?.remove();
  if (idp) {
    ssoActions.append(
      confirmButton("Remove", "Confirm remove", removeSso, {
        class: "button small danger-outline sso-remove",
        aria: { label: "Remove the identity provider" },
      }),
    );
  }
}

async function removeSso() {
  ssoError.hidden = true;
  const passwordless = $maybe("#sso-passwordless") ? " The people who signed in only through it set a password with “Forgot your password?”." : "";
  try {
    /** @type {{identity_provider: null}} */
    const answer = await del("/api/organization/identity-provider/");
    drawSso(answer.identity_provider);
    ssoStatus.textContent = `The identity provider is removed.${passwordless}`;
    ssoIssuer.focus();
  } catch (problem) {
    showError(ssoError, problem);
  }
}

ssoForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  ssoError.hidden = true;
  ssoStatus.textContent = "";
  /** @type {{issuer: string, client_id: string, require_sso: boolean, client_secret?: string}} */
  const change = {
    issuer: ssoIssuer.value.trim(),
    client_id: ssoClientId.value.trim(),
    require_sso: ssoRequire.checked,
  };
  // An empty secret keeps the stored one.
  if (ssoSecret.value) change.client_secret = ssoSecret.value;
  try {
    /** @type {{identity_provider: IdentityProviderView}} */
    const answer = await put("/api/organization/identity-provider/", change);
    drawSso(answer.identity_provider);
    ssoStatus.textContent = "The identity provider is saved.";
  } catch (problem) {
    showError(ssoError, problem);
  }
});

drawSso(boot.identity_provider);
drawDomains(boot.organization.domains);
drawPeople(boot.organization.people);
startRetention(boot.organization.people);
startConnectors();
startMatrix(boot.organization.people);
startBots();
