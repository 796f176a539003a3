"""Queries compiled once and run with new ids give what the ORM gives."""

from __future__ import annotations

import pytest
from django.db.models import Count

from hub.models import User
from hub.prepared import Prepared
from tests.conftest import make_org, make_person

pytestmark = pytest.mark.django_db


def _people_of(org: int, person: int):
    return (
        User.objects.filter(organization_id=org)
        .exclude(pk=person)
        .values("organization_id")
        .annotate(n=Count("id"))
        .values("organization_id", "n")
    )


def test_each_run_reads_with_its_own_ids():
    prepared = Prepared(_people_of, "org", "person")
    north, south = make_org("North"), make_org("South")
    ann, _, cy = make_person(north), make_person(north), make_person(south)
    assert prepared.rows(org=north.pk, person=ann.pk) == [{"organization_id": north.pk, "n": 1}]
    assert prepared.rows(org=south.pk, person=ann.pk) == [{"organization_id": south.pk, "n": 1}]
    assert prepared.rows(org=south.pk, person=cy.pk) == []
    for org, person in ((north.pk, ann.pk), (south.pk, cy.pk)):
        assert prepared.rows(org=org, person=person) == list(_people_of(org, person))


def test_a_placeholder_the_query_does_not_use_is_refused():
    prepared = Prepared(
        lambda org, unused: User.objects.filter(organization_id=org).values("id"), "org", "unused"
    )
    with pytest.raises(ValueError, match="unused"):
        prepared.rows(org=1, unused=2)
