"""Reading pages as a person would: a small HTML tree (stdlib only), forms with
their CSRF token, labels, the visible text, and logging in through the form."""
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from tests.factories import PASSWORD

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list = []  # Node or str

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def has(self, name) -> bool:
        """A boolean attribute such as required, checked, selected."""
        return name in self.attrs

    @property
    def text(self) -> str:
        parts = []

        def walk(node):
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in ("script", "style"):
                    walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, **attrs):
        """Descendants by tag and attributes; `class_` matches one class name."""
        out = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            ok = True
            for key, want in attrs.items():
                if key == "class_":
                    ok = want in (node.get("class") or "").split()
                else:
                    ok = node.get(key.replace("_", "-")) == want
                if not ok:
                    break
            if ok:
                out.append(node)
        return out

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:  # ignore stray end tags
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    """A parsed response."""

    def __init__(self, resp):
        self.resp = resp
        self.status = resp.status_code
        self.html = resp.get_data(as_text=True)
        builder = _Builder()
        builder.feed(self.html)
        builder.close()
        self.root = builder.root

    def find(self, tag=None, **attrs):
        return self.root.find(tag, **attrs)

    def find_all(self, tag=None, **attrs):
        return self.root.find_all(tag, **attrs)

    def by_id(self, element_id):
        return self.root.find(id=element_id)

    @property
    def text(self):
        return self.root.find("body").text

    @property
    def main(self):
        return self.root.find("main")

    @property
    def title(self):
        return self.root.find("title").text

    @property
    def h1(self):
        node = self.root.find("h1")
        return node.text if node is not None else None

    def in_layout(self) -> bool:
        """The site's layout: title suffix, skip link, header brand, main landmark."""
        header = self.root.find("header", class_="top")
        return (self.title.endswith("· prisoncare")
                and self.root.find("a", class_="skip", href="#main") is not None
                and header is not None and header.find("a", class_="brand") is not None
                and self.main is not None)

    def nav_links(self) -> list[str]:
        nav = self.root.find("nav", aria_label="Main")
        return [a.text for a in nav.find_all("a")] if nav is not None else []

    def label_for(self, field_id) -> str | None:
        label = self.root.find("label", **{"for": field_id})
        return label.text if label is not None else None

    def form(self, action=None):
        """The form posting to `action` (a path), or the first form in <main>."""
        if action is None:
            form = self.main.find("form") if self.main is not None else None
            assert form is not None, f"no form in <main>:\n{self.html}"
            return form
        for form in self.root.find_all("form"):
            if action is None or urlsplit(form.get("action") or "").path == action:
                return form
        raise AssertionError(f"no form with action {action!r} in:\n{self.html}")

    def csrf_token(self, action=None) -> str:
        node = self.form(action).find("input", name="csrf_token")
        assert node is not None and node.get("type") == "hidden" and len(node.get("value") or "") > 20
        return node.get("value")

    def field_error(self, name) -> str | None:
        """The error shown next to a form field: inside the field's own wrapper,
        linked from the input by aria-describedby."""
        control = self.root.find(id=f"f-{name}")
        assert control is not None, f"no field f-{name}"
        wrapper = next(a for a in control.ancestors() if "field" in (a.get("class") or "").split())
        error = wrapper.find(class_="error")
        if error is None:
            return None
        assert control.get("aria-invalid") == "true"
        assert control.get("aria-describedby") == error.get("id")
        return error.text

    def flashes(self) -> list[str]:
        return [p.text for p in self.root.find_all("p", class_="flash")]

    def assets(self) -> list[tuple[str, str, str]]:
        """(tag, attribute, value) for everything the page loads or links to as a resource."""
        out = []
        for node in self.root.iter():
            for attr in ("src", "href", "srcset", "data", "poster", "action"):
                value = node.get(attr)
                if value is not None and node.tag in ("link", "script", "img", "iframe", "source",
                                                      "video", "audio", "object", "embed", "form",
                                                      "input"):
                    out.append((node.tag, attr, value))
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", self.html):
            out.append(("style", "url", url))
        return out

    def timeline(self) -> list[str]:
        """The custody timeline's event names, newest first, as shown."""
        section = self.by_id("timeline")
        assert section is not None, "no custody timeline"
        return [li.find("strong").text for li in section.find_all("li", class_="event")]

    def __repr__(self):
        return f"<Page {self.status} {self.title!r}>"


def get(client, path, **kw) -> Page:
    return Page(client.get(path, **kw))


def submit(client, page: Page, data: dict, action=None, **kw) -> Page:
    """POST a page's form with its hidden fields (the CSRF token, `next`, `back`)
    and `data`, as the browser does."""
    form = page.form(action)
    hidden = {i.get("name"): i.get("value") or "" for i in form.find_all("input", type="hidden")
              if i.get("name")}
    body = {**hidden, "csrf_token": page.csrf_token(action), **data}
    return Page(client.post(form.get("action"), data=body, **kw))


def login(client, username, password=PASSWORD, next=None, follow_redirects=False):
    """Log in through the login page's form."""
    page = get(client, "/login" + (f"?next={next}" if next else ""))
    data = {"username": username, "password": password}
    return submit(client, page, data, action="/login", follow_redirects=follow_redirects)


def location_path(resp) -> str:
    """The redirect target, as a path with its query (a relative Location stays relative)."""
    loc = resp.headers["Location"]
    parts = urlsplit(loc)
    assert parts.netloc in ("", "localhost"), loc
    return parts.path + (f"?{parts.query}" if parts.query else "")
