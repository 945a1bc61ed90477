// The page's behaviour: plain JavaScript, no build step. Text is only ever put into the
// page with textContent (never as HTML).
"use strict";

const taxonomy = JSON.parse(document.getElementById("taxonomy-data").textContent);
const names = {};
for (const group of [taxonomy.kinds, taxonomy.categories, taxonomy.themes]) {
  for (const label of group) names[label.id] = label.name;
}
const nameOf = (id) => names[id] || id;
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new Error((body && body.error) || `the server answered ${response.status}`);
  }
  return body;
}
const postJson = (path, body) => api(path, {
  method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
});

function say(id, message, isError = false) {
  const node = $(id);
  node.textContent = message;
  node.classList.toggle("error", isError);
}

const percent = (p) => (p === null || p === undefined ? "" : `${Math.round(p * 100)}%`);

function bar(p) {
  const outer = el("span", {class: "bar", "aria-hidden": "true"});
  outer.append(el("span", {style: `width:${Math.round((p || 0) * 100)}%`}));
  return outer;
}

// ------------------------------------------------------------------------------ views
const views = ["suggest", "review", "versions"];
function show(view, focus) {
  if (!views.includes(view)) view = "suggest";
  for (const name of views) $(name).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "versions") loadVersions();
  if (focus) $(`${view}-title`).focus();
}
window.addEventListener("hashchange", () => show(location.hash.slice(1), true));

// ---------------------------------------------------------------------------- suggest
const WORD_EDGE = "A-Za-z0-9";
function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

function highlight(target, text, words) {
  target.textContent = "";
  const unique = [...new Set(words)].sort((a, b) => b.length - a.length);
  if (!unique.length) { target.textContent = text; return; }
  const pattern = new RegExp(
    `(?<![${WORD_EDGE}])(?:${unique.map(escapeRegExp).join("|")})(?![${WORD_EDGE}])`, "gi");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    target.append(text.slice(last, match.index), el("mark", {text: match[0]}));
    last = match.index + match[0].length;
  }
  target.append(text.slice(last));
}

function evidenceCell(evidence) {
  const cell = el("td", {class: "words"});
  if (!evidence.length) { cell.textContent = "-"; return cell; }
  evidence.forEach((e, i) => {
    if (i) cell.append(", ");
    const points = Math.max(1, Math.round(e.weight * 100));
    cell.append(el("mark", {text: e.word}), ` (${points} ${points === 1 ? "point" : "points"})`);
  });
  return cell;
}

function suggestionRow(what, label, probability, evidence) {
  return el("tr", {},
    el("th", {scope: "row", text: what}),
    el("td", {text: label}),
    el("td", {class: "prob"}, bar(probability), percent(probability)),
    evidenceCell(evidence));
}

function showSuggestion(text, result) {
  const rows = $("suggestion-rows");
  rows.textContent = "";
  const words = [];
  if (result.kind.label) {
    rows.append(suggestionRow("Kind", nameOf(result.kind.label), result.kind.probability, result.kind.evidence));
    words.push(...result.kind.evidence.map((e) => e.word));
  }
  if (result.category.label) {
    rows.append(suggestionRow("Category", nameOf(result.category.label), result.category.probability, result.category.evidence));
    words.push(...result.category.evidence.map((e) => e.word));
  }
  for (const theme of result.themes) {
    rows.append(suggestionRow("Theme", nameOf(theme.label), theme.probability, theme.evidence));
    words.push(...theme.evidence.map((e) => e.word));
  }
  if (!result.themes.length) {
    rows.append(el("tr", {}, el("th", {scope: "row", text: "Theme"}), el("td", {colspan: "3", text: "none above its threshold"})));
  }
  const note = $("review-note");
  note.hidden = !result.needs_review;
  note.textContent = result.needs_review
    ? `Needs a person's check (confidence ${percent(result.confidence)}): ${result.review_reasons.join("; ")}`
    : "";
  highlight($("highlighted"), text, words);
  $("suggestion").hidden = false;
  const heading = $("suggestion-title");
  heading.scrollIntoView({block: "start"});
  heading.focus({preventScroll: true});
}

$("suggest-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) { say("suggest-status", "Type or paste a text first.", true); return; }
  const button = event.submitter || $("suggest-form").querySelector("button");
  button.disabled = true;
  say("suggest-status", "Working out a suggestion...");
  try {
    const result = await postJson("/api/suggest", {text});
    showSuggestion(text, result);
    say("suggest-status", "Suggestion ready below.");
  } catch (error) {
    say("suggest-status", `Could not suggest: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
});

// ----------------------------------------------------------------------------- review
const state = {review: null, rows: new Map(), order: [], edits: new Map(), editing: null, opener: null};

function current(row) { return state.edits.get(row.row) || row; }

function tags(ids) {
  const cell = el("td");
  for (const id of ids) cell.append(el("span", {class: "tag", text: nameOf(id)}));
  return cell;
}

function excerpt(text, size = 160) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > size ? `${flat.slice(0, size)}...` : flat;
}

function renderRows() {
  const body = document.querySelector("#rows tbody");
  body.textContent = "";
  state.order.forEach((index) => {
    const row = state.rows.get(index);
    const now = current(row);
    const changed = state.edits.has(index);
    const button = el("button", {type: "button", class: "small", "data-row": String(index),
      "aria-label": `Correct row ${row.line}`, text: "Correct"});
    button.addEventListener("click", () => openEditor(index, button));
    const tr = el("tr", {class: changed ? "changed" : "", "data-row": String(index)},
      el("td", {text: row.queue_rank ? String(row.queue_rank) : "-"}),
      el("th", {scope: "row"}, String(row.line),
        row.reference ? el("span", {class: "ref", text: row.reference}) : null),
      el("td", {class: "text", text: excerpt(row.text)}),
      el("td", {class: "reason", text: row.queue_reason || ""}),
      el("td", {text: now.kind ? nameOf(now.kind) : ""}),
      el("td", {text: now.category ? nameOf(now.category) : ""}),
      tags(now.themes),
      el("td", {text: (now.reviewed ? "Yes" : "No") + (changed ? " (not saved)" : "")}),
      el("td", {}, button));
    body.append(tr);
  });
  const unsaved = state.edits.size;
  $("review-summary").textContent =
    `${state.order.length} rows; ${state.review.queued} in the review queue, listed first. ` +
    (unsaved ? `${unsaved} corrected rows not saved yet.` : "No unsaved corrections.");
}

function showReview(payload) {
  state.review = payload;
  state.rows = new Map(payload.rows.map((r) => [r.row, r]));
  state.order = payload.rows.map((r) => r.row);
  state.edits = new Map();
  $("review-name").textContent = payload.name + (payload.uploaded ? " (uploaded)" : "");
  $("review-area").hidden = false;
  $("download").hidden = true;
  $("retrain-result").hidden = true;
  renderRows();
  say("review-status", `Opened ${payload.name}: ${payload.rows.length} rows.`);
}

if ($("open-form")) {
  $("open-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("file-choice").value;
    if (!file) return;
    say("review-status", `Opening ${file}...`);
    try { showReview(await postJson("/api/review/open", {file})); }
    catch (error) { say("review-status", `Could not open the file: ${error.message}`, true); }
  });
}

$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("upload").files[0];
  if (!file) { say("review-status", "Choose a file first.", true); return; }
  if (file.size > Number($("upload").dataset.max)) {
    say("review-status", "The file is larger than the server accepts (--max-upload).", true);
    return;
  }
  say("review-status", `Uploading ${file.name}...`);
  try {
    showReview(await api(`/api/review/upload?name=${encodeURIComponent(file.name)}`, {
      method: "POST", headers: {"Content-Type": "application/octet-stream"}, body: file}));
  } catch (error) { say("review-status", `Could not open the file: ${error.message}`, true); }
});

function options(select, labels, blank) {
  select.textContent = "";
  if (blank !== null) select.append(el("option", {value: "", text: blank}));
  for (const label of labels) select.append(el("option", {value: label.id, text: label.name}));
}
options($("edit-kind"), taxonomy.kinds, "(none)");
options($("edit-category"), taxonomy.categories, "(none)");
for (const theme of taxonomy.themes) {
  const box = el("input", {type: "checkbox", value: theme.id, id: `theme-${theme.id}`});
  if (theme.description) box.setAttribute("title", theme.description);
  $("edit-themes").append(el("label", {for: `theme-${theme.id}`}, box, theme.name));
}

function openEditor(index, opener) {
  const row = state.rows.get(index);
  const now = current(row);
  state.editing = index;
  state.opener = opener;
  $("editor-legend").textContent = `Correct row ${row.line}${row.reference ? " (" + row.reference + ")" : ""}`;
  $("editor-text").textContent = row.text;
  const s = row.suggested;
  $("editor-suggested").textContent = s
    ? `Suggested: ${nameOf(s.suggested_kind)}; ${s.suggested_category ? nameOf(s.suggested_category) + "; " : ""}` +
      `themes ${(s.suggested_themes || "").split(";").filter(Boolean).map(nameOf).join(", ") || "none"}` +
      (s.confidence ? ` (confidence ${percent(Number(s.confidence))})` : "")
    : "";
  $("edit-kind").value = now.kind;
  $("edit-category").value = now.category;
  for (const box of $("edit-themes").querySelectorAll("input")) box.checked = now.themes.includes(box.value);
  $("edit-reviewed").checked = true;  // correcting a row is reviewing it; untick to leave it open
  $("editor").showModal();
  $("edit-kind").focus();
}

function closeEditor() {
  $("editor").close();
  if (state.opener && document.body.contains(state.opener)) state.opener.focus();
}

$("editor-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const row = state.rows.get(state.editing);
  const edit = {
    row: row.row,
    kind: $("edit-kind").value,
    category: $("edit-category").value,
    themes: [...$("edit-themes").querySelectorAll("input:checked")].map((b) => b.value),
    reviewed: $("edit-reviewed").checked,
  };
  const same = edit.kind === row.kind && edit.category === row.category && edit.reviewed === row.reviewed &&
    edit.themes.length === row.themes.length && edit.themes.every((t) => row.themes.includes(t));
  if (same) state.edits.delete(row.row); else state.edits.set(row.row, edit);
  renderRows();
  $("editor").close();
  const again = document.querySelector(`#rows button[data-row="${row.row}"]`);
  if (again) again.focus();
  say("save-status", `Row ${row.line} corrected; save to write it to the file.`);
});
$("editor-cancel").addEventListener("click", closeEditor);
$("editor").addEventListener("cancel", () => {
  setTimeout(() => { if (state.opener) state.opener.focus(); }, 0);
});

async function saveEdits() {
  const saveAs = $("save-as").value.trim();
  const result = await postJson(`/api/review/${state.review.id}/save`, {
    edits: [...state.edits.values()], save_as: saveAs || null});
  for (const edit of state.edits.values()) Object.assign(state.rows.get(edit.row), edit);
  state.edits.clear();
  state.review.name = result.saved;
  $("review-name").textContent = result.saved + (result.uploaded ? " (uploaded)" : "");
  $("save-as").value = "";
  renderRows();
  if (result.uploaded) {
    const link = $("download");
    link.href = `/api/review/${state.review.id}/download`;
    link.setAttribute("download", result.saved);
    link.hidden = false;
  }
  return result;
}

$("save").addEventListener("click", async () => {
  say("save-status", "Saving...");
  try {
    const result = await saveEdits();
    say("save-status", `Saved ${result.rows} corrected rows (${result.cells_changed} cells) to ${result.saved}.`);
  } catch (error) { say("save-status", `Not saved: ${error.message}`, true); }
});

function gateTable(result) {
  const table = el("table", {class: "result"},
    el("caption", {text: `Scores of the version in use and the new one on ${result.judged_rows} held-out rows`}),
    el("thead", {}, el("tr", {},
      el("th", {scope: "col", text: "Measure"}), el("th", {scope: "col", text: "In use"}),
      el("th", {scope: "col", text: "New"}), el("th", {scope: "col", text: "Change"}))));
  const body = el("tbody");
  const fmt = (v) => (v === null || v === undefined ? "-" : Number(v).toFixed(3));
  for (const row of result.table) {
    const change = row.change === null ? "-" : (row.change > 0 ? "+" : "") + Number(row.change).toFixed(3);
    body.append(el("tr", {},
      el("th", {scope: "row", text: row.measure.replace(/^recall (.+)$/, (_m, id) => `recall ${nameOf(id)}`)}),
      el("td", {text: fmt(row.active)}),
      el("td", {text: fmt(row.new)}),
      el("td", {class: row.change > 0 ? "up" : row.change < 0 ? "down" : "", text: change})));
  }
  table.append(body);
  return table;
}

function showRetrain(status) {
  const box = $("retrain-result");
  box.textContent = "";
  box.hidden = false;
  const r = status.result;
  box.append(el("h3", {text: "Retrain result"}));
  box.append(el("p", {class: `verdict ${r.activated ? "ok" : "refused"}`, text: r.activated
    ? `Version ${r.version} passed the gate and is now in use.`
    : `Version ${r.version} was saved but not put in use: ${r.reasons.join("; ")}. ` +
      "You can still choose it under Model versions."}));
  box.append(el("p", {text: `${r.summary}; ` +
    `${r.changed_rows} rows of the review file are now suggested differently.`}));
  for (const note of r.practice_notes) box.append(el("p", {class: "hint", text: note}));
  if (r.rules.length) {
    box.append(el("p", {text: "Habits learnt as rules:"}));
    box.append(el("ul", {}, ...r.rules.map((rule) => el("li", {text: rule}))));
  }
  box.append(gateTable(r));
  $("serving").textContent = status.serving;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

$("retrain").addEventListener("click", async () => {
  const button = $("retrain");
  button.disabled = true;
  try {
    if (state.edits.size) { say("save-status", "Saving corrections first..."); await saveEdits(); }
    let status = await postJson("/api/retrain", {review: state.review.id});
    while (status.state === "running") {
      say("save-status", `Retraining: ${status.step}...`);
      await sleep(1500);
      status = await api("/api/retrain");
    }
    if (status.state === "failed") { say("save-status", `Retrain failed: ${status.error}`, true); return; }
    say("save-status", "Retrain finished.");
    showRetrain(status);
  } catch (error) {
    say("save-status", `Retrain failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
});

// --------------------------------------------------------------------------- versions
function measureName(key) {
  return key.replace(/_/g, " ").replace(/ f1$/, "-F1");
}
async function loadVersions() {
  const body = $("versions-rows");
  try {
    const data = await api("/api/models");
    body.textContent = "";
    $("serving").textContent = data.serving;
    for (const v of data.versions) {
      const metrics = Object.entries(v.metrics || {}).map(([k, x]) => `${measureName(k)} ${Number(x).toFixed(3)}`).join(", ");
      const use = v.version === data.serving
        ? el("span", {text: "In use"})
        : el("button", {type: "button", class: "small secondary", "aria-label": `Use version ${v.version}`, text: "Use"});
      if (use.tagName === "BUTTON") use.addEventListener("click", () => useVersion(v.version));
      body.append(el("tr", {},
        el("th", {scope: "row", text: v.version}),
        el("td", {text: v.created ? v.created.slice(0, 16).replace("T", " ") : "-"}),
        el("td", {text: `${v.training_rows} rows, ${v.corrections} corrections`}),
        el("td", {text: metrics ? `${metrics} (${v.metrics_kind.replace("_", " ")})` : "-"}),
        el("td", {text: v.gate === null ? "-" : v.gate ? "passed" : "refused"}),
        el("td", {}, use)));
    }
  } catch (error) { say("versions-status", `Could not list versions: ${error.message}`, true); }
}

async function useVersion(version) {
  say("versions-status", `Switching to ${version}...`);
  try {
    const result = await postJson("/api/models/use", {version});
    say("versions-status", `Version ${result.serving} is now in use.`);
    await loadVersions();
  } catch (error) { say("versions-status", `Not switched: ${error.message}`, true); }
}

show(location.hash.slice(1) || "suggest", false);
