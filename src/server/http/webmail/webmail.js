// The webmail's only script, on top of pages that work without it: live updates of the
// folder tree and list (server-sent events), the draft saved as it is written, and address
// suggestions. It reads nothing from a message: message HTML lives in a sandboxed frame.
"use strict";
(function () {
  var body = document.body;

  // Live updates on a folder's list: a change to a folder refreshes the tree's counts, and
  // the list when the change is to the folder shown. Ticked boxes stay ticked. (Other pages,
  // a search or the composer, are not fetched again on every change.)
  if (body && body.hasAttribute("data-live") && document.querySelector("form#bulk") && window.EventSource) {
    var shown = body.getAttribute("data-folder") || "";
    var busy = false, again = false, wantList = false;
    var swap = function (doc, selector) {
      var now = document.querySelector(selector), fresh = doc.querySelector(selector);
      if (now && fresh) now.replaceWith(document.importNode(fresh, true));
    };
    var refresh = function (list) {
      wantList = wantList || list;
      if (busy) { again = true; return; }
      busy = true;
      var withList = wantList;
      wantList = false;
      fetch(location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.redirected || !r.ok) throw new Error("status " + r.status);
          return r.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          swap(doc, "nav[aria-label=Folders]");
          if (withList) {
            var ticked = {};
            document.querySelectorAll("form#bulk input[name=uid]:checked").forEach(function (b) { ticked[b.value] = 1; });
            swap(doc, "main");
            document.querySelectorAll("form#bulk input[name=uid]").forEach(function (b) { if (ticked[b.value]) b.checked = true; });
            var live = document.getElementById("live");
            if (live) live.textContent = shown + " updated";
          }
        })
        .catch(function () {})
        .finally(function () {
          busy = false;
          if (again) { again = false; refresh(false); }
        });
    };
    var events = new EventSource("/webmail/events");
    events.addEventListener("change", function (e) {
      var folders = String(e.data).split("\n");
      refresh(folders.indexOf(shown) >= 0 || folders.indexOf("*") >= 0);
    });
    events.addEventListener("open", function () { body.setAttribute("data-listening", ""); });
    events.addEventListener("signedout", function () {
      events.close();
      location.href = "/webmail/login";
    });
  }

  // The composer saves the draft a moment after it changes, and once more before leaving
  // is not needed: Send and Save draft wait for a save under way, then go.
  var form = document.querySelector("form[data-autosave]");
  if (form) {
    var delay = parseInt(form.getAttribute("data-autosave"), 10) || 3000;
    var status = document.getElementById("autosave-status");
    var timer = null, saving = null, dirty = false, leaving = false;
    var save = function () {
      timer = null;
      if (!dirty || leaving) return;
      // One save at a time: each replaces the draft the one before made.
      if (saving) { timer = setTimeout(save, delay); return; }
      dirty = false;
      var data = new FormData(form);
      data.delete("attachment");
      data.set("save", "draft");
      data.set("autosave", "1");
      saving = fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || j.title || r.status); return j; }); })
        .then(function (j) {
          var field = form.querySelector("input[name=draft]");
          if (!field) {
            field = document.createElement("input");
            field.type = "hidden";
            field.name = "draft";
            form.appendChild(field);
          }
          field.value = String(j.draft);
          if (status) status.textContent = "Draft saved at " + new Date().toLocaleTimeString();
        })
        .catch(function (err) {
          dirty = true;
          if (status) status.textContent = "Draft not saved: " + err.message;
          if (!timer && !leaving) timer = setTimeout(save, delay * 4);
        })
        .finally(function () { saving = null; });
    };
    form.addEventListener("input", function (e) {
      if (e.target && e.target.type === "file") return;
      dirty = true;
      if (!timer) timer = setTimeout(save, delay);
    });
    form.addEventListener("submit", function (e) {
      if (timer) { clearTimeout(timer); timer = null; }
      if (saving) {
        e.preventDefault();
        var by = e.submitter;
        saving.finally(function () { form.requestSubmit(by); });
        return;
      }
      leaving = true;
    });
  }

  // Address suggestions from the member's own mail, for the last address being typed.
  var list = document.getElementById("addresses");
  document.querySelectorAll("input[data-complete]").forEach(function (input) {
    var pending = null;
    input.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        var value = input.value, cut = value.lastIndexOf(",");
        var before = cut >= 0 ? value.slice(0, cut + 1) + " " : "";
        var typed = value.slice(cut + 1).trim();
        if (!typed || !list) return;
        fetch("/webmail/addresses?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.replaceChildren();
            found.forEach(function (a) {
              var o = document.createElement("option");
              o.value = before + a;
              list.appendChild(o);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
