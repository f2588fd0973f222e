"""Only the HTML a reader can see: hidden text is dropped before the email is read.

An HTML-only e-mail can carry text no human sees (display:none, visibility:hidden, a zero
font size, zero opacity, text the colour of its background, text pushed off-screen, the
`hidden` attribute, comments) and that a model would still read and might obey. This keeps
the visible markup and drops every hidden element with everything inside it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_NEVER_SHOWN = frozenset({"script", "style", "head", "title", "template", "noscript",
                          "object", "iframe", "svg"})
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?![.\d]*[1-9])"
    r"|opacity\s*:\s*0(?![.\d]*[1-9])|(?:max-)?height\s*:\s*0(?![.\d]*[1-9])[^;]*;?[^\"']*"
    r"overflow\s*:\s*hidden|text-indent\s*:\s*-\d{3,}|(?:left|top)\s*:\s*-\d{3,}|"
    r"color\s*:\s*transparent|clip\s*:\s*rect\(\s*0|transform\s*:\s*scale\(\s*0", re.I)
_COLOR = re.compile(r"(?<![-\w])color\s*:\s*([^;\"']+)", re.I)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;\"']+)", re.I)
_WHITE = {"#fff", "#ffffff", "white", "rgb(255,255,255)", "#fefefe", "#fdfdfd"}


def _norm_color(value: str) -> str:
    return re.sub(r"\s+", "", value.strip().lower()).removesuffix("!important")


def _hidden(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _NEVER_SHOWN:
        return True
    values = {k.lower(): (v or "") for k, v in attrs}
    if "hidden" in values or (values.get("aria-hidden") == "true" and tag != "img"):
        return True
    style = values.get("style", "")
    if _HIDDEN_STYLE.search(style):
        return True
    color = _COLOR.search(style)
    if color:
        fg = _norm_color(color.group(1))
        bg_match = _BACKGROUND.search(style)
        bg = _norm_color(bg_match.group(1)) if bg_match else "#ffffff"
        if fg == bg or (fg in _WHITE and (bg in _WHITE or not bg_match)):
            return True
    font = values.get("size")
    return tag == "font" and font is not None and font.strip() in ("0", "-7")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skip_depth = 0  # >0 while inside a hidden element
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if not self.skip_depth:
                self.out.append(self.get_starttag_text() or "")
            return
        self.stack.append(tag)
        if self.skip_depth or _hidden(tag, attrs):
            self.skip_depth += 1
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and not _hidden(tag, attrs):
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack:  # close anything left open inside this element
            open_tag = self.stack.pop()
            if self.skip_depth:
                self.skip_depth -= 1
            else:
                self.out.append(f"</{open_tag}>")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self.skip_depth:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.skip_depth:
            self.out.append(f"&#{name};")

    # Comments, declarations and processing instructions are never shown.


def visible_html(html: str) -> str:
    """`html` without the elements a reader cannot see."""
    parser = _Visible()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # hopelessly broken markup: keep what was read
        pass
    return "".join(parser.out)
