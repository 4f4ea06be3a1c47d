"""The dated test worlds hold in any year: the tests that lean on a funding period, again, years ahead.

`tests/support/factories_matching.py` lays its programs' periods out around the `now` a world is made
with, and the API reads the request's clock (pinned to that `now`). A fixture with a hard-coded
period (the programs once ended on 2027-12-31, which would have turned `make test` red on 1 January
2028) fails here years before its date comes. The instants: a leap day, and New Year's morning in
Xi'an while it is still 31 December in UTC (the day a period is checked on is Xi'an's).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.funding import test_grants as grants
from tests.funding import test_projects as projects
from tests.kernel import test_mutation_statements as statements
from tests.matching import test_dispatch_plan as plans
from tests.matching import test_match_candidates as candidates
from tests.venues import test_booking as booking

LATER = [datetime(2032, 2, 29, 2, 0, tzinfo=UTC), datetime(2040, 12, 31, 16, 30, tzinfo=UTC)]


@pytest.fixture(params=LATER, ids=lambda instant: instant.date().isoformat())
def now(request: pytest.FixtureRequest) -> datetime:
    return request.param


# Collected here, each runs with the `now` above: requesting, deciding and listing grants, a project's
# outcome, the FUNDING candidates, the grant statements, the dispatch plan and venue search.
test_request_approve_reject = grants.test_request_approve_reject
test_cap_coverage_and_budget_checks = grants.test_cap_coverage_and_budget_checks
test_the_period_is_the_programs_on_the_requests_day = grants.test_the_period_is_the_programs_on_the_requests_day
test_a_project_funded_and_what_it_changed = projects.test_a_project_funded_and_what_it_changed
test_every_kind_in_one_request = candidates.test_every_kind_in_one_request
test_eligible_programs = candidates.test_eligible_programs
test_grants_write_in_at_most_three_statements = statements.test_grants_write_in_at_most_three_statements
test_propose_then_commit = plans.test_propose_then_commit
test_search_then_book_then_clash_then_cancel = booking.test_search_then_book_then_clash_then_cancel
