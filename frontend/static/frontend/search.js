// Cadastre search: suggestions as you type, as an ARIA combobox (WAI-ARIA Authoring Practices,
// "combobox with listbox popup"). Without this file every search box is a plain GET form.
//
// Keys: Down/Up move through the suggestions (aria-activedescendant keeps the focus in the box),
// Enter chooses the highlighted one (a dataset opens its page, a concept is searched for),
// Escape closes the list (a second Escape clears the box), Tab leaves it.
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var KIND_LABELS = { dataset: "Dataset", concept: "Glossary concept", column: "Column" };

  function Combobox(input) {
    this.input = input;
    this.form = input.form;
    this.listbox = document.getElementById(input.getAttribute("aria-controls"));
    this.status = input.parentNode.querySelector("[data-suggest-status]");
    this.url = input.dataset.suggestUrl;
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.lastQuery = null;
    this.bind();
  }

  Combobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () {
      self.schedule();
    });
    this.input.addEventListener("keydown", function (event) {
      self.onKeyDown(event);
    });
    this.input.addEventListener("blur", function () {
      // Let a click on an option land first (options also cancel mousedown to keep the focus).
      window.setTimeout(function () {
        self.close();
      }, 150);
    });
    this.listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        self.choose(option);
      }
    });
  };

  Combobox.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    var text = this.input.value.trim();
    if (text.length < MIN_CHARS) {
      this.abort();
      this.lastQuery = null;
      this.close();
      return;
    }
    this.timer = window.setTimeout(function () {
      self.fetch(text);
    }, DEBOUNCE_MS);
  };

  Combobox.prototype.abort = function () {
    if (this.controller) {
      this.controller.abort();
      this.controller = null;
    }
  };

  Combobox.prototype.fetch = function (text) {
    var self = this;
    if (text === this.lastQuery) {
      this.open();
      return;
    }
    this.abort();
    this.controller = typeof AbortController === "function" ? new AbortController() : null;
    var url = this.url + "?q=" + encodeURIComponent(text);
    window
      .fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: this.controller ? this.controller.signal : undefined,
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("suggest: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (self.input.value.trim() !== text) {
          return; // typed on meanwhile: a newer request is coming
        }
        self.lastQuery = text;
        self.render(data.suggestions || []);
      })
      .catch(function () {
        // Suggestions are a convenience: on any error the box stays a plain search box.
      });
  };

  Combobox.prototype.render = function (suggestions) {
    var self = this;
    this.listbox.textContent = "";
    this.options = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    suggestions.forEach(function (suggestion, index) {
      var option = document.createElement("li");
      option.id = self.listbox.id + "-option-" + index;
      option.className = "combobox__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.kind = suggestion.kind;
      option.dataset.text = suggestion.text;
      option.dataset.url = suggestion.url || "";
      var text = document.createElement("span");
      text.className = "combobox__text";
      text.textContent = suggestion.text; // textContent: never HTML
      var kind = document.createElement("span");
      kind.className = "combobox__kind combobox__kind--" + suggestion.kind;
      kind.textContent = KIND_LABELS[suggestion.kind] || suggestion.kind;
      option.appendChild(text);
      option.appendChild(kind);
      self.listbox.appendChild(option);
      self.options.push(option);
    });
    if (this.options.length) {
      this.open();
    } else {
      this.close();
    }
    this.announce(
      this.options.length
        ? this.options.length + " suggestion" + (this.options.length > 1 ? "s" : "") + " available."
        : "No suggestions.",
    );
  };

  Combobox.prototype.announce = function (message) {
    if (this.status) {
      this.status.textContent = message;
    }
  };

  Combobox.prototype.isOpen = function () {
    return !this.listbox.hidden;
  };

  Combobox.prototype.open = function () {
    if (!this.options.length) {
      return;
    }
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.highlight(-1);
  };

  Combobox.prototype.highlight = function (index) {
    this.options.forEach(function (option, i) {
      var on = i === index;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("is-active", on);
    });
    this.active = index;
    if (index >= 0) {
      var option = this.options[index];
      this.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.move = function (step) {
    if (!this.options.length) {
      return;
    }
    this.open();
    var count = this.options.length;
    var next = this.active + step;
    if (next >= count) {
      next = 0;
    } else if (next < 0) {
      next = count - 1;
    }
    this.highlight(next);
  };

  Combobox.prototype.onKeyDown = function (event) {
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        if (!this.isOpen() && !this.options.length) {
          this.schedule();
          return;
        }
        event.preventDefault();
        this.move(event.altKey && !this.isOpen() ? 0 : 1);
        break;
      case "ArrowUp":
      case "Up":
        if (!this.options.length) {
          return;
        }
        event.preventDefault();
        this.move(-1);
        break;
      case "Enter":
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.choose(this.options[this.active]);
        }
        break; // otherwise the form is submitted as typed
      case "Escape":
      case "Esc":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
          this.lastQuery = null;
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  Combobox.prototype.choose = function (option) {
    this.close();
    if (option.dataset.kind === "dataset" && option.dataset.url) {
      window.location.assign(option.dataset.url);
      return;
    }
    // A concept or a column: search for it.
    this.input.value = option.dataset.text;
    if (this.form) {
      if (typeof this.form.requestSubmit === "function") {
        this.form.requestSubmit();
      } else {
        this.form.submit();
      }
    }
  };

  function init() {
    document.querySelectorAll("input[role=combobox][data-suggest-url]").forEach(function (input) {
      if (!input.dataset.comboboxReady) {
        input.dataset.comboboxReady = "true";
        new Combobox(input);
      }
    });
  }

  // Facet links are checkboxes (role="checkbox"): Space toggles them, as it would a checkbox.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.key === " " || event.key === "Spacebar") && target.matches && target.matches("a[role=checkbox]")) {
      event.preventDefault();
      target.click();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
