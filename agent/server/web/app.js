// The chemagent web chat: one page, no build step, no network beyond this server.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { thread: null, images: [], busy: false };

function token() { return localStorage.getItem("chemagent-token") || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers.Authorization = "Bearer " + token();
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) {
    const t = prompt("This server needs its access token:");
    if (t) { localStorage.setItem("chemagent-token", t.trim()); return api(path, options); }
  }
  return res;
}

async function errorText(res) {
  try { const body = await res.json(); return (body.error && body.error.message) || res.statusText; }
  catch (e) { return res.status + " " + res.statusText; }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

// -- threads -------------------------------------------------------------------------------

async function loadThreads() {
  const res = await api("/v1/threads");
  if (!res.ok) return;
  const nav = $("#threads");
  nav.replaceChildren();
  for (const t of await res.json()) {
    const a = el("a", { href: "#thread=" + t.id, "data-thread": t.id, text: t.title, title: t.title });
    if (t.id === state.thread) a.classList.add("current");
    nav.append(a);
  }
}

async function openThread(id) {
  state.thread = id;
  $("#messages").replaceChildren();
  const res = await api("/v1/threads/" + encodeURIComponent(id));
  if (res.ok) {
    for (const turn of (await res.json()).history) {
      const box = addTurn(turn.question || "", []);
      renderText(box.querySelector(".text"), turn.answer || "", []);
    }
  } else {
    $("#messages").append(el("p", { class: "hint", text: "This conversation is empty; ask a question." }));
  }
  await loadThreads();
}

function threadFromHash() {
  const m = location.hash.match(/thread=([\w-]+)/);
  return m ? m[1] : null;
}

// -- rendering -----------------------------------------------------------------------------

function addTurn(question, images) {
  const q = el("div", { class: "question", text: question });
  for (const src of images) q.append(el("img", { src, alt: "structure image sent" }));
  const steps = el("details", { class: "steps" }, el("summary", { text: "steps" }), el("ol"));
  steps.hidden = true;
  const answer = el("div", { class: "answer" }, steps, el("div", { class: "text", text: "…" }));
  const turn = el("article", { class: "turn" }, q, answer);
  $("#messages").append(turn);
  turn.scrollIntoView({ block: "end" });
  return answer;
}

function renderText(node, text, citations) {
  node.replaceChildren();
  const byNumber = new Map(citations.map((c) => [c.number, c]));
  const parts = text.split(/(\[\d+\])/);
  for (const part of parts) {
    const m = part.match(/^\[(\d+)\]$/);
    if (m && byNumber.has(Number(m[1]))) {
      const a = el("a", { class: "cite", href: "#", "data-cite": m[1], text: part, title: byNumber.get(Number(m[1])).summary });
      node.append(a);
    } else {
      node.append(document.createTextNode(part));
    }
  }
}

function footnotes(citations) {
  const ol = el("ol", { class: "footnotes" });
  for (const c of citations) {
    const li = el("li", { "data-number": String(c.number), value: String(c.number) });
    if (c.kind === "passage" && c.passage) {
      const p = c.passage;
      li.append(el("div", { text: `${p.title}${p.page ? ", p. " + p.page : ""} (${p.doc_id})` }));
      li.append(el("blockquote", { text: p.quote }));
    } else {
      li.append(el("div", { text: `${c.tool}: ${c.summary}` }));
    }
    ol.append(li);
  }
  return ol;
}

async function moleculePictures(molecules) {
  const box = el("div", { class: "molecules" });
  for (const m of molecules.slice(0, 8)) {
    const res = await api("/v1/depict?size=240&smiles=" + encodeURIComponent(m.smiles));
    if (!res.ok) continue;
    const url = URL.createObjectURL(await res.blob());
    const label = m.name ? `${m.name} (${m.smiles})` : m.smiles;
    box.append(el("figure", {}, el("img", { src: url, alt: label, "data-smiles": m.smiles }), el("figcaption", { text: m.name || m.smiles })));
  }
  return box;
}

async function renderAnswer(box, answer) {
  box.classList.toggle("refused", answer.refused);
  renderText(box.querySelector(".text"), answer.text, answer.citations);
  for (const w of answer.warnings) box.append(el("div", { class: "warning", text: "⚠ " + w }));
  if (answer.citations.length) box.append(footnotes(answer.citations));
  if (answer.molecules.length) box.append(await moleculePictures(answer.molecules));
  const copy = el("button", { type: "button", text: "Copy answer JSON" });
  copy.addEventListener("click", async () => {
    await navigator.clipboard.writeText(JSON.stringify(answer, null, 2)).catch(() => {});
    copy.textContent = "Copied";
  });
  box.append(el("div", { class: "actions" }, copy));
}

// -- asking --------------------------------------------------------------------------------

async function ask(question) {
  const images = state.images.splice(0);
  $("#attachments").replaceChildren();
  const box = addTurn(question, images);
  const content = [{ type: "text", text: question }, ...images.map((url) => ({ type: "image_url", image_url: { url } }))];
  const body = { model: "chemagent", stream: true, messages: [{ role: "user", content }] };
  if (state.thread) body.thread_id = state.thread;
  const res = await api("/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!res.ok) {
    box.querySelector(".text").replaceChildren();
    box.append(el("div", { class: "error", text: await errorText(res) }));
    return;
  }
  const steps = box.querySelector("details.steps");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const line = buffer.slice(0, cut).replace(/^data: /, "");
      buffer = buffer.slice(cut + 2);
      if (line === "[DONE]") continue;
      const event = JSON.parse(line);
      if (event.error) { box.append(el("div", { class: "error", text: event.error.message })); continue; }
      if (event.step) {
        steps.hidden = false;
        steps.querySelector("ol").append(el("li", { text: `${event.step.node}: ${event.step.message}` }));
      }
      if (event.answer) {
        const first = !state.thread;
        state.thread = event.answer.thread_id;
        if (first) history.replaceState(null, "", "#thread=" + state.thread);
        await renderAnswer(box, event.answer);
      }
    }
  }
  box.scrollIntoView({ block: "end" });
  await loadThreads();
}

function attach(file) {
  if (!file || !file.type.startsWith("image/")) return;
  const reader = new FileReader();
  reader.onload = () => {
    state.images.push(reader.result);
    $("#attachments").append(el("img", { src: reader.result, alt: file.name }));
    if (!$("#question").value.trim()) $("#question").value = "What is this structure?";
  };
  reader.readAsDataURL(file);
}

// -- wiring --------------------------------------------------------------------------------

$("#ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("#question").value.trim();
  if (!q || state.busy) return;
  state.busy = true;
  $("#send").disabled = true;
  $("#question").value = "";
  try { await ask(q); } finally { state.busy = false; $("#send").disabled = false; $("#question").focus(); }
});
$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("#ask").requestSubmit(); }
});
$("#file").addEventListener("change", (e) => { for (const f of e.target.files) attach(f); e.target.value = ""; });
$("#new-thread").addEventListener("click", () => {
  state.thread = null;
  history.replaceState(null, "", location.pathname);
  $("#messages").replaceChildren();
  loadThreads();
});
$("#threads").addEventListener("click", (e) => {
  const a = e.target.closest("a[data-thread]");
  if (!a) return;
  e.preventDefault();
  history.replaceState(null, "", "#thread=" + a.dataset.thread);
  openThread(a.dataset.thread);
});
$("#messages").addEventListener("click", (e) => {
  const a = e.target.closest("a.cite");
  if (!a) return;
  e.preventDefault();
  const list = a.closest(".answer").querySelector(".footnotes");
  if (!list) return;
  list.querySelectorAll("li.target").forEach((li) => li.classList.remove("target"));
  const li = list.querySelector(`li[data-number="${a.dataset.cite}"]`);
  if (li) { li.classList.add("target"); li.scrollIntoView({ block: "nearest" }); }
});
let dragDepth = 0;
window.addEventListener("dragenter", (e) => { e.preventDefault(); dragDepth++; $("#drop").hidden = false; });
window.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; $("#drop").hidden = true; } });
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => {
  e.preventDefault(); dragDepth = 0; $("#drop").hidden = true;
  for (const f of e.dataTransfer.files) attach(f);
});

const initial = threadFromHash();
if (initial) openThread(initial); else loadThreads();
