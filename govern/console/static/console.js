// govern console: the only script the pages load. It imports the user's key file with WebCrypto
// (Ed25519, non-extractable: the key can sign but can never be read back), signs what the server
// asks, and polls long checks. The key never leaves the browser; the file is never uploaded.
"use strict";
(() => {
  const DB = "govern-console";
  const STORE = "keys";
  const SLOT = "session";

  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  };

  function pemToDer(text) {
    const found = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(text);
    if (!found) throw new Error("this is not a PKCS#8 private key (BEGIN PRIVATE KEY); choose the file `govern keys create` wrote");
    const binary = atob(found[1].replace(/\s+/g, ""));
    const der = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) der[i] = binary.charCodeAt(i);
    return der;
  }

  async function importKey(file) {
    const der = pemToDer(await file.text());
    try {
      return await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
    } catch (error) {
      throw new Error("the browser could not import this key as Ed25519 (" + error.message + ")");
    } finally {
      der.fill(0);
    }
  }

  // The imported key is kept (still non-extractable) in this origin's IndexedDB until sign-out,
  // so that it survives moving between pages.
  function openStore() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function keyStore(operation, ...args) {
    const db = await openStore();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, operation === "get" ? "readonly" : "readwrite");
      const request = tx.objectStore(STORE)[operation](...args);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  const saveKey = (key) => keyStore("put", key, SLOT);
  const loadKey = () => keyStore("get", SLOT);
  const forgetKey = () => keyStore("delete", SLOT).catch(() => undefined);

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (response.status === 401) {
      await forgetKey();
      window.location.href = "/login";
      throw new Error("your session ended; sign in again");
    }
    if (!response.ok) {
      const error = new Error(data.error || ("the server answered " + response.status));
      error.reasons = data.reasons || [];
      throw error;
    }
    return data;
  }

  async function sign(key, messageHex) {
    return hex(await crypto.subtle.sign({ name: "Ed25519" }, key, unhex(messageHex)));
  }

  function say(element, text, isError) {
    if (!element) return;
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  function explain(error) {
    return error.message + (error.reasons && error.reasons.length ? ": " + error.reasons.join("; ") : "");
  }

  // Sign in: import the key, sign the one-time challenge, keep the key for this session.
  const login = document.querySelector("form[data-login]");
  if (login) {
    forgetKey();
    login.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = login.querySelector(".sign-status");
      const button = login.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
          throw new Error("this page is not a secure context (open it as http://127.0.0.1 or over https), so the browser offers no WebCrypto");
        }
        const file = login.querySelector("input[type=file]").files[0];
        if (!file) throw new Error("choose your key file first");
        say(status, "Importing your key…");
        const key = await importKey(file);
        login.reset();
        say(status, "Signing the server's challenge…");
        const challenge = await post("/login/challenge");
        const signature = await sign(key, challenge.message);
        const done = await post("/login", { challenge: challenge.challenge, signature });
        await saveKey(key);
        say(status, "Signed in as " + done.name + " (" + done.role + ")");
        window.location.href = done.redirect;
      } catch (error) {
        say(status, explain(error), true);
        button.disabled = false;
      }
    });
  }

  // Sign out: forget the key, then end the session.
  for (const form of document.querySelectorAll("form[data-logout]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await forgetKey();
      form.submit();
    });
  }

  // Signed actions: the server prepares the action and asks for each byte string to sign, in
  // rounds, until it commits (govern.signing). The bytes are exactly what the CLI signs.
  for (const form of document.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector(".sign-status");
      const button = form.querySelector("button[type=submit]");
      const inputs = {};
      for (const [name, value] of new FormData(form).entries()) inputs[name] = String(value);
      button.disabled = true;
      say(status, "Preparing…");
      try {
        const key = await loadKey();
        if (!key) throw new Error("your key is no longer in this browser; sign out and sign in again");
        let step = await post("/actions/" + encodeURIComponent(form.dataset.action), { inputs });
        let signed = 0;
        while (step.status === "sign") {
          signed += 1;
          say(status, "Signing with your key (" + signed + ")…");
          step = await post("/actions/pending/" + encodeURIComponent(step.action), { signature: await sign(key, step.message) });
        }
        sessionStorage.setItem("govern-flash", step.message);
        window.location.href = form.dataset.next || window.location.href;
      } catch (error) {
        say(status, explain(error), true);
        button.disabled = false;
      }
    });
  }

  // What the last action did, shown once after the page reloads.
  const flash = document.getElementById("flash");
  const message = sessionStorage.getItem("govern-flash");
  if (flash && message) {
    sessionStorage.removeItem("govern-flash");
    flash.textContent = message;
    flash.hidden = false;
  }

  // Verification with progress.
  const verify = document.querySelector("[data-verify]");
  if (verify) {
    const start = verify.querySelector("[data-start]");
    const box = verify.querySelector(".progress");
    const stage = verify.querySelector(".stage");
    const bar = verify.querySelector("progress");
    const verdict = verify.querySelector(".verdict-box");
    const title = verify.querySelector(".verdict-title");
    const summary = verify.querySelector(".verdict-summary");
    const problems = verify.querySelector(".problems");
    start.addEventListener("click", async () => {
      start.disabled = true;
      box.hidden = false;
      verdict.hidden = true;
      problems.replaceChildren();
      try {
        const { job } = await post("/auditor/verify");
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          const response = await fetch("/auditor/verify/" + encodeURIComponent(job), { credentials: "same-origin", cache: "no-store" });
          const data = await response.json();
          if (!response.ok) throw new Error(data.error || ("the server answered " + response.status));
          stage.textContent = "Checking " + data.stage + ": " + data.done + " of " + data.total;
          bar.max = Math.max(data.total, 1);
          bar.value = data.done;
          if (!data.finished) continue;
          box.hidden = true;
          verdict.hidden = false;
          if (data.error) throw new Error(data.error);
          const result = data.result;
          verdict.classList.toggle("ok", result.ok);
          verdict.classList.toggle("bad", !result.ok);
          title.textContent = result.ok ? "Verified: nothing was altered" : "FAILED: " + result.problems.length + " problem(s)";
          summary.textContent = result.entries + " ledger entries, " + result.rows_checked + " catalog rows and "
            + result.snapshots_checked + " snapshots checked (" + result.erased_records + " records erased on request); head entry "
            + result.head_seq + " " + String(result.head_hash).slice(0, 16) + "…";
          for (const problem of result.problems.slice(0, 100)) {
            const item = document.createElement("li");
            item.textContent = problem;
            problems.appendChild(item);
          }
          break;
        }
      } catch (error) {
        verdict.hidden = false;
        verdict.classList.add("bad");
        title.textContent = "The verification could not run";
        summary.textContent = error.message;
      } finally {
        start.disabled = false;
      }
    });
  }
})();
