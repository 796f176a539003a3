"""Who a socket handshake belongs to: the session cookie, checked as HTTP checks it."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from rooms.socket.auth import socket_identity
from tests.conftest import make_org, make_person, session_cookie

pytestmark = pytest.mark.django_db


def test_a_signed_in_session_gives_the_person_with_their_organization(django_assert_num_queries):
    person = make_person(make_org())
    key = session_cookie(person)
    _, user = socket_identity(key)
    assert user.pk == person.pk
    with django_assert_num_queries(0):
        assert user.organization.name == person.organization.name


@pytest.mark.redis
def test_a_handshake_reads_the_session_from_the_cache_and_the_person_in_one_query(
    django_assert_num_queries,
):
    person = make_person(make_org())
    key = session_cookie(person)
    with django_assert_num_queries(1):
        _, user = socket_identity(key)
        assert user.organization.name == person.organization.name


def test_a_person_of_no_organization_is_loaded_without_one():
    person = make_person(make_org())
    person.organization = None
    person.is_superuser = person.is_staff = True  # only an operator may have none
    person.save()
    _, user = socket_identity(session_cookie(person))
    assert user.pk == person.pk and user.organization is None


def test_no_cookie_or_an_unknown_session_is_anonymous():
    assert not socket_identity(None)[1].is_authenticated
    assert not socket_identity("no-such-session-key")[1].is_authenticated


def test_a_password_change_ends_older_sessions_at_the_handshake():
    person = make_person(make_org())
    key = session_cookie(person)
    person.set_password("a whole new password 42")
    person.save()
    assert not socket_identity(key)[1].is_authenticated
    assert not Session.objects.filter(session_key=key).exists()


def test_a_deactivated_person_is_anonymous():
    person = make_person(make_org())
    key = session_cookie(person)
    person.is_active = False
    person.save()
    assert not socket_identity(key)[1].is_authenticated
