// calmreply agent desk. Plain JS, no build step.
// Rule: customer text, drafts, reasons and errors go into the page with textContent or
// .value only. Nothing here uses innerHTML, so markup in an email is shown, never run.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { draftId: null, original: "", emailText: "", rating: null, busy: false,
                  maxBytes: 2000000 };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function setStatus(text) { $("status").textContent = text || ""; }

  function setBusy(busy) {
    state.busy = busy;
    $("draft-btn").disabled = busy;
    $("regen-btn").disabled = busy || !state.draftId;
    $("grade-btn").disabled = busy || !state.draftId;
    $("copy-btn").disabled = busy || !$("draft").value;
    $("draft").readOnly = busy;
    document.body.classList.toggle("busy", busy);
  }

  async function errorFrom(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") return body.error;
    } catch (_) { /* not JSON */ }
    return `the server answered ${response.status}`;
  }

  async function postJSON(url, payload) {
    const response = await fetch(url, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    if (!response.ok) throw new Error(await errorFrom(response));
    return response.json();
  }

  // --- engine (offline composer or model) -------------------------------------------------
  async function loadInfo() {
    try {
      const response = await fetch("/api/info");
      const info = await response.json();
      state.maxBytes = info.max_input_bytes || state.maxBytes;
      $("engine").textContent = info.source === "model"
        ? `Model: ${info.model}` : "Offline composer (no model configured)";
      $("engine").classList.add(info.source === "model" ? "engine-model" : "engine-offline");
      const tone = document.querySelector(`input[name=tone][value="${info.default_tone}"]`);
      if (tone) tone.checked = true;
    } catch (_) {
      $("engine").textContent = "Server unreachable";
    }
  }

  // --- drafting ---------------------------------------------------------------------------
  function request() {
    const tone = document.querySelector("input[name=tone]:checked");
    const payload = { email: $("email").value };
    if (tone) payload.tone = tone.value;
    for (const key of ["customer_name", "order_id", "notes"]) {
      const value = $(key).value.trim();
      if (value) payload[key] = value;
    }
    return payload;
  }

  async function draft() {
    if (state.busy) return;
    const payload = request();
    if (!payload.email.trim()) {
      showError("Paste the customer's email first (or drop a .eml file onto the box).");
      $("email").focus();
      return;
    }
    showError("");
    resetOutput();
    state.emailText = payload.email;
    setBusy(true);
    setStatus("Drafting…");
    try {
      const response = await fetch("/api/draft/stream", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      if (!response.ok) throw new Error(await errorFrom(response));
      await readEvents(response, (event) => {
        if (event.type === "text") {
          $("draft").value = event.text;
          $("draft").scrollTop = $("draft").scrollHeight;
          setStatus("Writing…");
        } else if (event.type === "result") {
          showResult(event.result);
        } else if (event.type === "error") {
          throw new Error(event.error);
        }
      });
      if (!state.draftId) throw new Error("the draft stopped before it was finished; try again");
      setStatus("Draft ready: read and edit it before sending");
    } catch (err) {
      showError(`Could not draft a reply: ${err.message}`);
      setStatus("");
    } finally {
      setBusy(false);
    }
  }

  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) onEvent(JSON.parse(line));
      }
      if (done) break;
    }
    if (buffer.trim()) onEvent(JSON.parse(buffer));
  }

  function resetOutput() {
    state.draftId = null;
    state.original = "";
    for (const id of ["read", "scores", "note-meta", "guard"]) $(id).replaceChildren();
    $("guard").hidden = true;
    $("notice").hidden = true;
    $("goal").hidden = true;
    $("draft").value = "";
    $("subject").value = "";
    $("scores-summary").textContent = "";
    $("scores-empty").textContent = "Scoring happens when the draft is finished.";
    $("scores-empty").hidden = false;
    $("note-summary").textContent = "…";
    resetRating();
  }

  function showResult(result) {
    state.draftId = result.draft_id;
    state.original = result.draft.body;
    $("draft").value = result.draft.body;
    $("subject").value = result.draft.subject;
    if (result.notice) { $("notice").textContent = result.notice; $("notice").hidden = false; }
    showRead(result.analysis);
    showGuard(result.flagged, result.guard || []);
    showNote(result.draft.internal_note);
    showScores(result.scores || {}, result.scores_error, "for this draft");
    for (const id of ["up-btn", "down-btn"]) $(id).disabled = false;
  }

  function badge(label, value, tone, title) {
    const node = el("span", `badge badge-${tone}`);
    node.append(el("span", "badge-label", label), el("span", "badge-value", value));
    if (title) node.title = title;
    return node;
  }

  function showRead(a) {
    const angerTone = { calm: "ok", irritated: "mild", angry: "warn", furious: "bad" };
    const threats = a.threats.length ? a.threats.map((t) => t.replaceAll("_", " ")).join(", ")
      : "none";
    $("read").replaceChildren(
      badge("Anger", a.anger, angerTone[a.anger] || "mild"),
      badge("Abuse", a.abusive ? "yes" : "no", a.abusive ? "bad" : "ok"),
      badge("Threats", threats, a.threats.length ? "bad" : "ok"),
      badge("Escalate", a.escalate ? "yes" : "no", a.escalate ? "bad" : "ok",
            a.escalation_reason || ""),
      badge("Issue", a.category.replaceAll("_", " "), "neutral"),
      badge("Fault", a.fault, "neutral"),
    );
    const goal = $("goal");
    goal.replaceChildren(el("strong", "", "Goal: "), document.createTextNode(a.goal));
    if (a.escalate && a.escalation_reason) {
      goal.append(el("span", "muted", ` · Escalate: ${a.escalation_reason}`));
    }
    goal.hidden = false;
  }

  function showGuard(flagged, findings) {
    const box = $("guard");
    box.replaceChildren();
    if (!flagged && !findings.length) { box.hidden = true; return; }
    box.append(el("strong", "", flagged ? "The guard flagged this draft: fix it before sending"
      : "Guard notes"));
    const list = el("ul");
    for (const f of findings) {
      const item = el("li", "", `${f.check}: ${f.message}`);
      if (f.evidence) item.append(el("q", "evidence", f.evidence));
      list.append(item);
    }
    box.append(list);
    box.hidden = false;
  }

  function showNote(note) {
    $("note-summary").textContent = note.summary;
    $("note-summary").classList.remove("muted");
    const meta = $("note-meta");
    meta.replaceChildren();
    const add = (term, value) => { meta.append(el("dt", "", term), el("dd", "", value)); };
    add("Follow up", note.follow_up || "not set");
    add("Escalation", note.escalation || "none");
  }

  function showScores(scores, error, label) {
    const list = $("scores");
    list.replaceChildren();
    const names = Object.keys(scores);
    $("scores-empty").hidden = names.length > 0;
    if (!names.length) {
      $("scores-empty").textContent = error ? `Scoring unavailable: ${error}` : "No scores.";
    }
    let passed = 0;
    let applicable = 0;
    for (const name of names) {
      const s = scores[name] || {};
      const verdict = s.pass === true ? "pass" : s.pass === false ? "fail" : "n/a";
      if (s.pass !== null && s.pass !== undefined) applicable += 1;
      if (s.pass === true) passed += 1;
      const item = el("li", `score score-${verdict.replace("/", "")}`);
      item.dataset.rubric = name;
      const head = el("div", "score-head");
      const pct = typeof s.score === "number" ? Math.round(s.score * 100) : null;
      const bar = el("span", "bar");
      const fill = el("span", "fill");
      fill.style.width = `${pct ?? 0}%`;
      bar.append(fill);
      head.append(el("span", "rubric", name.replaceAll("_", " ")), bar,
                  el("span", "pct", pct === null ? "–" : `${pct}%`),
                  el("span", `verdict verdict-${verdict.replace("/", "")}`, verdict));
      item.append(head, el("p", "reason", s.reason || ""));
      list.append(item);
    }
    $("scores-summary").textContent = names.length
      ? `${passed} of ${applicable} applicable rubrics pass ${label}` : "";
  }

  // --- actions on the draft ---------------------------------------------------------------
  async function gradeEdit() {
    const reply = $("draft").value;
    if (!reply.trim()) { showError("There is no reply to grade."); return; }
    showError("");
    setBusy(true);
    setStatus("Grading your edit…");
    try {
      const out = await postJSON("/api/grade",
        { id: state.draftId, reply, email: state.emailText });
      showScores(out.scores || {}, null, "for your edit");
      setStatus("Scores updated for your edit");
    } catch (err) {
      showError(`Could not grade the reply: ${err.message}`);
      setStatus("");
    } finally {
      setBusy(false);
    }
  }

  async function copyDraft() {
    const text = $("draft").value;
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      $("draft").select();
      document.execCommand("copy");
    }
    setStatus("Copied to the clipboard");
  }

  function resetRating() {
    state.rating = null;
    for (const id of ["up-btn", "down-btn"]) {
      $(id).setAttribute("aria-pressed", "false");
      $(id).disabled = true;
    }
    $("feedback-row").hidden = true;
    $("comment").value = "";
    $("feedback-status").textContent = "";
  }

  function pickRating(rating) {
    state.rating = rating;
    $("up-btn").setAttribute("aria-pressed", String(rating === "up"));
    $("down-btn").setAttribute("aria-pressed", String(rating === "down"));
    $("feedback-row").hidden = false;
    $("comment").focus();
  }

  async function sendFeedback() {
    if (!state.rating) return;
    try {
      await postJSON("/api/feedback", { draft_id: state.draftId, draft: $("draft").value,
                                        rating: state.rating, comment: $("comment").value });
      $("feedback-status").textContent = "Thanks: your rating is saved for the prompt owners.";
      $("feedback-row").hidden = true;
    } catch (err) {
      $("feedback-status").textContent = `Could not save the rating: ${err.message}`;
    }
  }

  // --- loading a .eml ---------------------------------------------------------------------
  async function loadFile(file) {
    if (!file) return;
    if (file.size > state.maxBytes) {
      showError(`${file.name} is ${file.size.toLocaleString()} bytes, over the ` +
                `${state.maxBytes.toLocaleString()}-byte limit.`);
      return;
    }
    $("email").value = await file.text();
    $("file-name").textContent = `Loaded ${file.name}`;
    showError("");
  }

  function wireDrop() {
    const zone = $("dropzone");
    const on = (e) => { e.preventDefault(); zone.classList.add("dragging"); };
    const off = () => zone.classList.remove("dragging");
    zone.addEventListener("dragenter", on);
    zone.addEventListener("dragover", on);
    zone.addEventListener("dragleave", off);
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      off();
      loadFile(e.dataTransfer.files[0]);
    });
    $("file").addEventListener("change", (e) => loadFile(e.target.files[0]));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("draft-btn").addEventListener("click", draft);
    $("regen-btn").addEventListener("click", draft);
    $("grade-btn").addEventListener("click", gradeEdit);
    $("copy-btn").addEventListener("click", copyDraft);
    $("up-btn").addEventListener("click", () => pickRating("up"));
    $("down-btn").addEventListener("click", () => pickRating("down"));
    $("send-feedback").addEventListener("click", sendFeedback);
    $("draft").addEventListener("input", () => { $("copy-btn").disabled = !$("draft").value; });
    $("email").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) draft();
    });
    wireDrop();
    loadInfo();
  });
})();
