// @ts-check
// The "new work item" form in the side panel, blank or from a message (its
// text becomes the title, and the item links back to it).

import { post } from "./api.js";
import { field, h, plainText, PRIORITIES, PRIORITY_LABELS } from "./dom.js";
import { errorText } from "./errors.js";

/** @import { WorkItems } from "./board.js" */
/** @import { MessageData, WorkItemData } from "./wire.gen.js" */

/**
 * @param {WorkItems} work
 * @param {MessageData | null} [fromMessage]
 */
export function openNewItem(work, fromMessage = null) {
  const page = work.page;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const title = h("input", { id: "new-item-title", name: "title", required: true, maxLength: 200 });
  if (fromMessage) title.value = plainText(fromMessage.body).slice(0, 200);
  const description = h("textarea", { id: "new-item-description", name: "description", rows: 3, maxLength: 20000 });
  const assignee = h(
    "select",
    { id: "new-item-assignee", name: "assignee" },
    h("option", { value: "" }, "Unassigned"),
    page.memberList().map((p) => h("option", { value: p.id }, `${p.name} (${p.org?.name ?? ""})`)),
  );
  const priority = h(
    "select",
    { id: "new-item-priority", name: "priority" },
    PRIORITIES.map((p) => h("option", { value: p, selected: p === 3 }, PRIORITY_LABELS[p])),
  );
  const due = h("input", { id: "new-item-due", type: "date", name: "due_date" });
  const labels = h("input", { id: "new-item-labels", name: "labels", placeholder: "comma, separated" });
  const form = h(
    "form",
    { class: "new-item", aria: { label: "New work item" } },
    fromMessage
      ? h("blockquote", { class: "from-message" }, h("strong", {}, `${fromMessage.author.name}: `), plainText(fromMessage.body).slice(0, 300))
      : null,
    field("new-item-title", "Title", title),
    field("new-item-description", "Description (Markdown, optional)", description),
    field("new-item-assignee", "Assignee", assignee),
    field("new-item-priority", "Priority", priority),
    field("new-item-due", "Due date", due),
    field("new-item-labels", "Labels", labels),
    error,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Create work item"), h("button", { type: "button", class: "button", onclick: () => page.panel.close() }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, unknown>} protocol.md, `workitem.create` */
    const body = {
      title: title.value,
      description: description.value,
      assignee: assignee.value ? Number(assignee.value) : null,
      priority: Number(priority.value),
      due_date: due.value || null,
      labels: labels.value.split(",").map((l) => l.trim()).filter(Boolean),
    };
    if (fromMessage) body.from_message = fromMessage.id;
    try {
      /** @type {{item: WorkItemData}} */
      const data = await post(`/api/rooms/${page.roomId}/workitems/`, body);
      work.apply(data.item);
      work.open(data.item.id);
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });
  page.panel.open("new-item", fromMessage ? "Work item from message" : "New work item", form, { focus: title });
}
