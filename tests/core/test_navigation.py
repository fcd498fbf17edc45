"""The navigation offers each role the places it can use, and only those."""

from html.parser import HTMLParser

import pytest

from vigil.core.roles import ROLE_ACTIONS, Role

pytestmark = pytest.mark.django_db


class Navigation(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside = False
        self.links: dict[str, str] = {}
        self._href = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("id") == "navigation":
            self.inside = True
        elif self.inside and tag == "a":
            self._href = attrs["href"]

    def handle_data(self, data):
        if self._href:
            self.links[data.strip()] = self._href
            self._href = None

    def handle_endtag(self, tag):
        if tag == "ul":
            self.inside = False


def navigation_of(client, user) -> dict[str, str]:
    client.force_login(user)
    page = client.get("/", follow=True)
    parser = Navigation()
    parser.feed(page.content.decode())
    return parser.links


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_place_the_navigation_offers_opens(client, make_user, role):
    user = make_user(role, "North" if role == "regional_oversight" else "XF")
    links = navigation_of(client, user)
    assert links or not ROLE_ACTIONS[role]
    for label, url in links.items():
        assert client.get(url).status_code == 200, (role, label, url)


def test_an_investigator_is_not_offered_import_insight_or_the_audit_trail(client, make_user):
    links = navigation_of(client, make_user("investigator"))
    assert {"Worklist", "Referrals", "Notifications"} <= set(links)
    assert not {"Import", "Insight", "Audit trail", "Grading assurance"} & set(links)


def test_an_auditor_is_offered_the_audit_trail_alone(client, make_user):
    assert set(navigation_of(client, make_user("auditor"))) == {"Audit trail"}
