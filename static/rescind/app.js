/* Rescind back office: keyboard shortcuts, one-submit forms, small conveniences.
 * Everything is delegated from `document`, so it keeps working after htmx swaps. */
(function () {
  "use strict";

  // --- a form acts once: the first submit disables its buttons ----------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    var submitter = event.submitter;
    if (submitter) submitter.classList.add("is-busy");
    // Disabled after this tick: disabling now would drop the clicked button's value.
    window.setTimeout(function () {
      var buttons = document.querySelectorAll(
        'button[form="' + form.id + '"], #' + (form.id || "__none") + " button"
      );
      form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  }, true);

  // Back/forward cache restores a page with its buttons disabled: enable them again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll("button").forEach(function (b) {
        b.disabled = false;
        b.classList.remove("is-busy");
      });
    });
  });

  // --- keyboard shortcuts ------------------------------------------------------------
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function openAndFocus(el) {
    if (el.tagName === "DETAILS") {
      el.open = true;
      var first = el.querySelector("[data-focus]") ||
        el.querySelector("select, textarea, input:not([type=hidden]), button:not([disabled])");
      if (first) first.focus();
      el.scrollIntoView({ block: "nearest", behavior: "smooth" });
    } else if (el.tagName === "A") {
      window.location.href = el.href;
    } else {
      el.click();
    }
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-table tbody tr[data-href]"));
  }

  var selectedHref = null;

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("selected"); });
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
    selectedHref = all[index].dataset.href;
  }

  function selectedIndex() {
    return rows().findIndex(function (row) { return row.classList.contains("selected"); });
  }

  document.addEventListener("keydown", function (event) {
    // Enter in a quantity box must never submit (and so approve) the form it belongs to.
    if (event.key === "Enter" && event.target.matches && event.target.matches("input.qty")) {
      event.preventDefault();
      return;
    }
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    var help = document.getElementById("help");
    if (event.key === "Escape") {
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      if (help && !help.open) help.showModal();
      return;
    }
    if (help && help.open) return;
    if (event.key === "j" || event.key === "k") {
      var i = selectedIndex();
      select(i < 0 ? 0 : i + (event.key === "j" ? 1 : -1));
      event.preventDefault();
      return;
    }
    if ((event.key === "Enter" || event.key === "o") && selectedIndex() >= 0) {
      window.location.href = rows()[selectedIndex()].dataset.href;
      event.preventDefault();
      return;
    }
    var target = document.querySelector('[data-key="' + event.key + '"]');
    if (target) {
      event.preventDefault();
      openAndFocus(target);
    }
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-help]");
    if (opener) {
      event.preventDefault();
      document.getElementById("help").showModal();
      return;
    }
    var panel = event.target.closest("[data-open]");
    if (panel) {
      var target = document.getElementById(panel.dataset.open);
      if (target) openAndFocus(target);
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      closer.closest("dialog").close();
      return;
    }
    // A queue row opens its case, unless a link, button or form inside it was used.
    var row = event.target.closest(".queue-table tbody tr[data-href]");
    if (row && !event.target.closest("a, button, form, input, select")) {
      if (event.ctrlKey || event.metaKey) window.open(row.dataset.href, "_blank");
      else window.location.href = row.dataset.href;
    }
  });

  // Keep the keyboard selection when the queue refreshes itself.
  document.addEventListener("htmx:afterSwap", function () {
    if (!selectedHref) return;
    var index = rows().findIndex(function (row) { return row.dataset.href === selectedHref; });
    if (index >= 0) select(index);
  });

  // --- macros fill the message; the agent can still edit it -------------------------
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches("select[data-macros]")) return;
    var option = select.options[select.selectedIndex];
    var form = select.form;
    if (!option || !option.value) return;
    form.querySelector("[name=subject]").value = option.dataset.subject || "";
    form.querySelector("[name=body]").value = option.dataset.body || "";
  });
})();
