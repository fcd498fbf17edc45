"""Finding English left on a page shown in Welsh (issue 16, point 2).

A page is drawn twice, once for a browser that asks for English and once for one that asks
for Welsh. Whatever reads the same in both is either data (what people, providers and
documents wrote: names, notes, references, numbers) or a message nobody translated. Data is
recognised by being stored in the database; anything else with words in it is English left.
"""

import contextlib
import json
import re

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

# Every piece of text a person can see or hear on the page: text nodes (hidden ones too, which
# screen readers read), the labels and hints held in attributes, and the title. Text inside an
# element marked as another language (``lang="en-GB"`` on the "English" switch) or as not to be
# translated (``translate="no"``: codes, commands, identifiers) is left out, as a browser's
# translator would.
PAGE_TEXTS = """() => {
  const found = [document.title];
  const skip = (element) => {
    for (let e = element; e && e !== document.documentElement; e = e.parentElement) {
      if (e.getAttribute('translate') === 'no') return true;
      const lang = e.getAttribute('lang');
      if (lang !== null) return !lang.toLowerCase().startsWith('cy') && lang !== '';
      if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(e.tagName)) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!skip(node.parentElement)) found.push(node.textContent);
  }
  const labelled = [
    '[aria-label]', '[placeholder]', '[title]', '[alt]', 'input[type=submit]', 'input[type=button]',
  ].join(', ');
  for (const element of document.querySelectorAll(labelled)) {
    if (skip(element)) continue;
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      if (element.hasAttribute(name)) found.push(element.getAttribute(name));
    }
    if (element.tagName === 'INPUT' && element.value) found.push(element.value);
  }
  return found;
}"""

# Pieces of text that are neither English nor Welsh: names of things, the same in both.
NAMES = {
    "Vigil",
    "Cymraeg",
    "CyberTipline",
    "Project",
    "VIC",
    "JSON",
    "CSV",
    "PDF",
    "XML",
    "PDQ",
    "MD5",
    "SHA",
    "IP",
    "URL",
    "OpenID",
    "Connect",
}
SEPARATORS = re.compile(r"\s*(?:[·:;,()\[\]{}|/—–→←…]|\s-\s|\n)\s*")
# A word: letters with at least one lower-case letter (all-capital acronyms such as NCA, LADO
# or a force's code are names in both languages).
WORD = re.compile(r"[^\W\d_]*[a-z][^\W\d_]*")


def normalise(text: str) -> str:
    return " ".join(text.split())


def stored_text() -> str:
    """Every piece of text the database holds, as one string to search in."""
    pieces: list[str] = []

    def collect(value) -> None:
        if isinstance(value, str):
            pieces.append(normalise(value))
        elif isinstance(value, dict):
            for key, inner in value.items():
                collect(key)
                collect(inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                collect(inner)

    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if isinstance(value, str) and value[:1] in "[{":
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
                collect(value)
    # A person's name as pages show it ("Demo Investigator") is data too, though its first and
    # last names are stored apart.
    for user in get_user_model()._default_manager.all():
        collect(user.get_full_name())
    return "\n".join(pieces)


def english_left(welsh: list[str], english: list[str], data: str) -> list[str]:
    """The pieces of the Welsh page that read exactly as on the English page and are not data."""
    same = {normalise(text) for text in english} & {normalise(text) for text in welsh}
    left = []
    for text in sorted(same):
        for piece in SEPARATORS.split(text):
            piece = piece.strip(" .!?'\"“”‘’")
            words = [word for word in WORD.findall(piece) if word not in NAMES]
            if words and piece not in data:
                left.append(piece)
    return sorted(set(left))
