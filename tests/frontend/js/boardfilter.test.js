// The board's filters (frontend/static/frontend/boardfilter.js): the address
// they live in, and which items they keep, as the endpoint's BoardQuery does.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { filterFromParams, filterToParams, isFiltered, matches, noFilter } from "../../../frontend/static/frontend/boardfilter.js";

/** A work item with the fields the filters read. */
function item(fields = {}) {
  return {
    id: 1,
    assignee: null,
    raised_by_org: { id: 10, name: "Acme", slug: "acme" },
    labels: [],
    priority: 3,
    escalation: null,
    ...fields,
  };
}

describe("filters in the address", () => {
  test("round-trip, leaving the page's other parameters alone", () => {
    const params = new URLSearchParams("view=board&item=5");
    const filter = { assignee: "none", organization: 10, label: "qa", priority: 1, escalated: true };
    filterToParams(filter, params);
    assert.equal(params.get("view"), "board");
    assert.equal(params.get("item"), "5");
    assert.deepEqual(filterFromParams(params), filter);
    filterToParams(noFilter(), params);
    assert.equal(params.toString(), "view=board&item=5");
  });

  test("drop what the endpoint would refuse instead of filtering on it", () => {
    const filter = filterFromParams(new URLSearchParams("assignee=me&priority=5&escalated=maybe&organization=-1&label="));
    assert.deepEqual(filter, noFilter());
    assert.equal(isFiltered(filter), false);
  });
});

describe("matching", () => {
  test("every given filter must hold", () => {
    const ben = { id: 7, name: "Ben", handle: "ben", title: "", org: null };
    const escalated = item({ assignee: ben, labels: ["qa"], priority: 1, escalation: { id: 3 } });
    assert.equal(matches(escalated, noFilter()), true);
    assert.equal(matches(escalated, { ...noFilter(), assignee: 7, label: "qa", priority: 1, escalated: true }), true);
    assert.equal(matches(escalated, { ...noFilter(), assignee: 7, priority: 2 }), false);
    assert.equal(matches(escalated, { ...noFilter(), assignee: "none" }), false);
    assert.equal(matches(escalated, { ...noFilter(), escalated: false }), false);
    assert.equal(matches(item(), { ...noFilter(), assignee: "none", organization: 10 }), true);
    assert.equal(matches(item(), { ...noFilter(), organization: 11 }), false);
    assert.equal(matches(item(), { ...noFilter(), label: "qa" }), false);
  });
});
