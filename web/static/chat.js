// The chat box, enhanced: questions go to POST /api/ask and each reply is appended to the log.
// What a visitor typed only ever reaches the page as text (textContent). The only HTML inserted
// is the server's `snippet_html` and `html`, which it escapes and renders itself.

const MESSAGES = {
  busy: "Looking in the policy…",
  offline: "The assistant could not be reached. Check your connection and try again.",
  failed: "Something went wrong. Please try again.",
  consent:
    "Tick the box to let the privacy team reply to this address, or leave the address out.",
  empty: "Type your question for the privacy team.",
  thanks: "Thank you for your feedback.",
};
const TRANSCRIPT_TURNS = 5;
// As qa/assistant.py ESCALATED_KINDS: answers that offer to send the question on there and then.
const ESCALATED_KINDS = ["related", "not_covered", "silent"];

let uid = 0;

/** An element with attributes and children; strings become text nodes, never HTML. */
function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...(Array.isArray(children) ? children : [children]));
  return node;
}

/** Only our own paths are followed: "/policy#id", never "//host" or "javascript:". */
function ownPath(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/";
}

// A link the API made (absolute, on PRIVACY_QA_PUBLIC_URL) as a path on this page's origin.
function localPath(url) {
  try {
    const parsed = new URL(url, location.href);
    return ownPath(parsed.pathname + parsed.search);
  } catch {
    return "/";
  }
}

function words(text) {
  return text.split(/\s+/).filter(Boolean).join(" ");
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  return { ok: response.ok, data };
}

function errorMessage(data) {
  return (data && data.error && data.error.message) || MESSAGES.failed;
}

class Chat {
  constructor(root) {
    this.root = root;
    this.widget = root.dataset.mode === "widget";
    this.log = root.querySelector(".log");
    this.form = root.querySelector("form.ask");
    this.input = this.form.querySelector("input[name=q]");
    this.status = this.form.querySelector(".status");
    this.pending = false;
    this.transcript = [];

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask(this.input.value);
    });
    root.addEventListener("click", (event) => this.onClick(event));
    root.addEventListener("submit", (event) => this.onEscalate(event));
    // A reply the server rendered (from ?q=) gets the same controls as fetched ones.
    for (const turn of this.log.querySelectorAll(".turn")) {
      const question = turn.querySelector(".you").lastChild.textContent.trim();
      const message = turn.querySelector(".message").textContent.trim();
      this.transcript.push({ question, answer: message });
      for (const article of turn.querySelectorAll("article.answer")) this.addFeedback(article);
    }
  }

  linkAttributes(href) {
    return this.widget
      ? { href: ownPath(href), target: "_blank", rel: "noopener" }
      : { href: ownPath(href) };
  }

  async ask(text) {
    const question = text.trim();
    if (!question || this.pending) return;
    this.pending = true;
    this.setStatus(MESSAGES.busy);
    try {
      const { ok, data } = await postJSON("/api/ask", { question });
      if (!ok) {
        this.setStatus(errorMessage(data), true);
        return;
      }
      this.root.querySelector(".starters")?.remove();
      this.input.value = "";
      const turn = this.renderTurn(data);
      this.log.append(turn);
      this.setStatus("");
      this.remember(data);
      this.reveal(turn);
    } catch {
      this.setStatus(MESSAGES.offline, true);
    } finally {
      this.pending = false;
    }
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }

  remember(data) {
    const top = data.sections[0];
    const answer = top ? `${data.message} [${top.heading}] ${top.snippet}` : data.message;
    this.transcript.push({ question: data.question, answer });
    this.transcript = this.transcript.slice(-TRANSCRIPT_TURNS);
  }

  reveal(turn) {
    if (this.widget) {
      this.log.scrollTop = turn.offsetTop - this.log.offsetTop;
    } else {
      turn.scrollIntoView({ block: "start" });
    }
  }

  renderTurn(data) {
    const reply = el("div", { class: "reply" }, [
      el("p", { class: data.answered ? "message" : "message not-answered" }, data.message),
    ]);
    if (data.corrections.length) {
      const meant = data.corrections.map((c) => `“${c.meant}”`).join(", ");
      reply.append(el("p", { class: "corrections" }, `Searched for ${meant} (as you may have meant).`));
    }
    if (data.suggestions.length) {
      reply.append(el("ul", { class: "suggestions" }, data.suggestions.map((q) =>
        el("li", {}, [el("a", { class: "starter", href: `?q=${encodeURIComponent(q)}`, "data-question": q }, q)]))));
    }
    for (const section of data.sections) reply.append(this.renderSection(section));
    reply.append(this.renderActions(data));
    // Small talk and questions about something else are not sent to the privacy team.
    if (ESCALATED_KINDS.includes(data.kind)) reply.append(this.escalationForm(data.question));
    return el("div", { class: "turn" }, [
      el("p", { class: "you" }, [el("span", { class: "visually-hidden" }, "You asked: "), data.question]),
      reply,
    ]);
  }

  renderSection(section) {
    const snippet = el("p", { class: "snippet" });
    snippet.innerHTML = section.snippet_html; // escaped by the server, <mark> around matches
    const full = el("div", { class: "full" });
    full.innerHTML = section.html; // the policy's section, rendered safe by the server
    const article = el("article", {
      class: section.card ? "answer card" : "answer",
      "data-section-id": section.id,
      "data-document": section.document,
    }, [
      el("h2", { class: "answer-h" }, [el("a", this.linkAttributes(section.url), section.heading)]),
      snippet,
    ]);
    // A section the snippet quotes whole needs no "Read more".
    if (words(full.textContent) !== words(snippet.textContent)) {
      article.append(el("details", { class: "more" }, [
        el("summary", {}, ["Read more", el("span", { class: "visually-hidden" }, `: ${section.heading}`)]),
        full,
      ]));
    }
    this.addFeedback(article);
    return article;
  }

  renderActions(data) {
    const list = el("ul", { class: "actions" });
    for (const action of data.actions) {
      let href = action.url;
      if (action.kind === "escalate") {
        href = `/escalations/new?question=${encodeURIComponent(data.question)}`;
      } else if (action.kind === "rights_request" && data.sections.length) {
        // The request then records which sections the visitor read (web/forms.py).
        const ids = data.sections.map((s) => s.id).join(",");
        href += `${href.includes("?") ? "&" : "?"}sections=${encodeURIComponent(ids)}`;
      }
      list.append(el("li", {}, [
        el("a", {
          ...this.linkAttributes(href),
          class: `action ${action.kind}`,
          "data-kind": action.kind,
        }, action.label),
      ]));
    }
    return list;
  }

  addFeedback(article) {
    const label = `fb-${++uid}`;
    const yes = el("button", { type: "button", "data-helpful": "true" }, "Yes");
    const no = el("button", { type: "button", "data-helpful": "false" }, "No");
    article.append(el("div", { class: "feedback", role: "group", "aria-labelledby": label }, [
      el("span", { id: label }, "Was this helpful?"),
      yes,
      no,
    ]));
  }

  async sendFeedback(button) {
    const box = button.closest(".feedback");
    const article = button.closest("article.answer");
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    try {
      const { ok, data } = await postJSON("/api/feedback", {
        section_id: article.dataset.sectionId,
        document: article.dataset.document,
        helpful: button.dataset.helpful === "true",
      });
      const thanks = el("p", { class: "thanks", tabindex: "-1", role: "status" },
        ok ? MESSAGES.thanks : errorMessage(data));
      box.replaceChildren(thanks);
      thanks.focus();
    } catch {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
    }
  }

  escalationForm(question) {
    const id = `esc-${++uid}`;
    return el("form", { class: "escalate-form", method: "post", action: "/escalations/new", "data-escalate": "" }, [
      el("p", { class: "form-intro" }, "Send your question to a person on the privacy team."),
      el("div", { class: "field" }, [
        el("label", { for: `${id}-question` }, "Your question for the privacy team"),
        (() => {
          const area = el("textarea", { id: `${id}-question`, name: "question", rows: "3", maxlength: "2000", required: "" });
          area.value = question;
          return area;
        })(),
      ]),
      el("div", { class: "field" }, [
        el("label", { for: `${id}-email` }, "Your e-mail address (optional, for a reply)"),
        el("input", { id: `${id}-email`, name: "email", type: "email", autocomplete: "email", maxlength: "254" }),
      ]),
      el("div", { class: "field check" }, [
        el("input", { id: `${id}-consent`, name: "consent", type: "checkbox", value: "yes" }),
        el("label", { for: `${id}-consent` }, "The privacy team may use this address to reply to me"),
      ]),
      el("p", { class: "form-error", role: "alert", hidden: "" }),
      el("button", { type: "submit" }, "Send to the privacy team"),
    ]);
  }

  openEscalation(link) {
    const reply = link.closest(".reply");
    let form = reply.querySelector("form[data-escalate]");
    if (!form) {
      const question = reply.closest(".turn").querySelector(".you").lastChild.textContent.trim();
      form = this.escalationForm(question);
      reply.append(form);
    }
    form.querySelector("textarea").focus();
  }

  async onEscalate(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-escalate]")) return;
    event.preventDefault();
    if (form.dataset.sending) return;
    const error = form.querySelector(".form-error");
    const fail = (message, field) => {
      error.textContent = message;
      error.hidden = false;
      form.querySelector(`[name=${field}]`)?.focus();
    };
    const question = form.elements.question.value.trim();
    const email = form.elements.email.value.trim();
    const consent = form.elements.consent.checked;
    if (!question) return fail(MESSAGES.empty, "question");
    if (email && !consent) return fail(MESSAGES.consent, "consent");
    const body = { question, transcript: this.transcript.slice(-TRANSCRIPT_TURNS) };
    if (email) Object.assign(body, { email, consent: true });
    form.dataset.sending = "yes";
    try {
      const { ok, data } = await postJSON("/api/escalations", body);
      if (!ok) return fail(errorMessage(data), data?.error?.field);
      const notice = this.sentNotice(data, email);
      form.replaceWith(notice);
      notice.focus();
    } catch {
      fail(MESSAGES.offline, "question");
    } finally {
      delete form.dataset.sending;
    }
  }

  sentNotice(data, email) {
    const when = data.reply_time ? ` ${data.reply_time}` : "";
    return el("div", { class: "sent", tabindex: "-1", role: "status" }, [
      el("p", {}, ["Sent to the privacy team. Your reference is ", el("strong", { class: "reference" }, data.reference), "."]),
      el("p", { class: "reply-time" }, email
        ? `They will reply to ${email}${when}.`
        : `You gave no e-mail address: their reply${when} will be on your status page.`),
      el("p", {}, [el("a", { href: localPath(data.status_url), class: "status-link" }, "Your question's status page"),
        " (bookmark it: its address is private to you)."]),
    ]);
  }

  onClick(event) {
    const target = event.target.closest("a, button");
    if (!target || !this.root.contains(target)) return;
    if (target.matches("a.starter")) {
      event.preventDefault();
      this.ask(target.dataset.question);
    } else if (target.matches("a[data-kind=escalate]")) {
      event.preventDefault();
      this.openEscalation(target);
    } else if (target.matches(".feedback button")) {
      this.sendFeedback(target);
    }
  }
}

const root = document.querySelector("[data-chat]");
if (root) new Chat(root);
