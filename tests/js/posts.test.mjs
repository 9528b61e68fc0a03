// The posts console's rules: what the form accepts, what an edit sends, how posts and the
// workers a post can take are listed.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_RADIUS, RADIUS_MAX, RADIUS_MIN, parsePoint, parseRadius, placedPoint, postChanges, postFields,
  postRow, sortPosts, validatePost, workerChoices, workerLabel,
} from "../../pwa/console/posts.js";

const grids = [{ id: "g1", name: "南坛社区第一网格" }, { id: "g2", name: "砚池社区第三网格" }];
const form = (over = {}) => ({ grid: "g1", name: " 南坛路口 ", radius: "150", lat: "35.058", lon: "118.335", ...over });
const zhang = { id: "w1", username: "worker1", display_name: "张伟", region_id: "g1" };
const li = { id: "w2", username: "worker2", display_name: "", region_id: "g1" };
const wang = { id: "w3", username: "worker3", display_name: "王强", region_id: "g2" };

test("a worker reads as their name and username, or the username alone", () => {
  assert.equal(workerLabel(zhang), "张伟 (worker1)");
  assert.equal(workerLabel(li), "worker2");
});

test("a point needs both fields as numbers; an empty field is not zero", () => {
  assert.deepEqual(parsePoint("35.058", "118.335"), [35.058, 118.335]);
  assert.deepEqual(parsePoint("0", "0"), [0, 0]);
  assert.equal(parsePoint("", "118.335"), null);
  assert.equal(parsePoint("35.058", ""), null);
  assert.equal(parsePoint("abc", "1"), null);
});

test("the radius is taken from its minimum to its maximum, ends included", () => {
  assert.equal(parseRadius(String(RADIUS_MIN)), RADIUS_MIN);
  assert.equal(parseRadius(String(RADIUS_MAX)), RADIUS_MAX);
  assert.equal(parseRadius(String(DEFAULT_RADIUS)), DEFAULT_RADIUS);
  assert.equal(parseRadius(String(RADIUS_MIN - 1)), null);
  assert.equal(parseRadius(String(RADIUS_MAX + 1)), null);
  assert.equal(parseRadius(""), null);
  assert.equal(parseRadius("x"), null);
});

test("a point placed on the map keeps six decimals and a longitude within ±180", () => {
  assert.deepEqual(placedPoint(35.05812345678, 118.33512345678), [35.058123, 118.335123]);
  assert.deepEqual(placedPoint(35, 118.335 + 360), [35, 118.335]);
  assert.deepEqual(placedPoint(35, -181), [35, 179]);
  assert.deepEqual(placedPoint(35, 180), [35, 180]);
});

test("the form names the first thing it still needs, in the order of its fields", () => {
  assert.equal(validatePost(form()), null);
  assert.deepEqual(validatePost(form({ grid: "", name: "" })), ["grid", "posts.need_grid"]);
  assert.deepEqual(validatePost(form({ name: "  " })), ["name", "posts.need_name"]);
  assert.deepEqual(validatePost(form({ radius: "5" })), ["radius", "posts.need_radius"]);
  assert.deepEqual(validatePost(form({ lon: "" })), ["lat", "posts.need_point"]);
});

test("the server gets the name trimmed and numbers for the point and radius", () => {
  assert.deepEqual(postFields(form()), { name: "南坛路口", lat: 35.058, lon: 118.335, radius_m: 150 });
});

test("an edit sends only what changed", () => {
  const post = { id: "p1", name: "南坛路口", lat: 35.058, lon: 118.335, radius_m: 150, workers: [] };
  assert.deepEqual(postChanges(post, postFields(form())), {});
  assert.deepEqual(postChanges(post, postFields(form({ radius: "120", name: "路口" }))), { name: "路口", radius_m: 120 });
});

test("posts are listed by grid, then by name", () => {
  const posts = [
    { id: "a", name: "学校门口", region_id: "g2" },
    { id: "b", name: "南坛路口", region_id: "g1" },
    { id: "c", name: "菜市场", region_id: "g1" },
  ];
  const sorted = sortPosts(posts, grids);
  assert.deepEqual(sorted.map((p) => p.id), ["c", "b", "a"]);
  assert.deepEqual(posts.map((p) => p.id), ["a", "b", "c"], "the list it was given stays as it was");
});

test("a row shows the grid's name, whole metres and the workers on the post", () => {
  const post = { name: "南坛路口", region_id: "g1", radius_m: 80.4, workers: [zhang, li] };
  assert.deepEqual(postRow(post, grids), { name: "南坛路口", grid: "南坛社区第一网格", metres: 80,
    workers: "张伟 (worker1)、worker2" });
  assert.equal(postRow({ ...post, region_id: "gone", workers: [] }, grids).grid, "");
  assert.equal(postRow({ ...post, workers: [] }, grids).workers, "");
});

test("a post takes its grid's workers not on it yet, saying which post they would leave", () => {
  const other = { id: "p2", name: "菜市场", region_id: "g1", workers: [li] };
  const post = { id: "p1", name: "南坛路口", region_id: "g1", workers: [zhang] };
  const choices = workerChoices(post, [zhang, li, wang], [post, other]);
  assert.deepEqual(choices.map((c) => [c.worker.id, c.leaves?.name ?? null]), [["w2", "菜市场"]]);
  const empty = { ...post, workers: [] };
  assert.deepEqual(workerChoices(empty, [zhang, wang], [empty]).map((c) => [c.worker.id, c.leaves]), [["w1", null]]);
});
