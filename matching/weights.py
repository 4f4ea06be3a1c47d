"""Every tunable number of matching, in one place, each with the reason it has its value.

Scores are weighted sums of factor values in 0–1; the weights of one kind sum to 1 (a test checks it)
so a score is itself in 0–1 and a coordinator can read each part as "share of the score".
Change a number here, never inline, so a review sees every change to how Minhu ranks people.
"""

from __future__ import annotations

from types import MappingProxyType

from matching.models import CandidateKind, Factor

# --- weights per kind ------------------------------------------------------------------------------

MEMBER_WEIGHTS = MappingProxyType(
    {
        # Sending a volunteer without the right skill wastes a trip: the strongest single signal.
        Factor.SKILL: 0.30,
        # 双报到 means members serve where they registered; a short trip raises response rates.
        Factor.PLACE: 0.25,
        # Being free inside the resident's window is what makes the service happen on time.
        Factor.AVAILABILITY: 0.15,
        # Headroom under the weekly cap protects response time and spreads the work.
        Factor.LOAD: 0.10,
        # Reputation counts, but most members have few ratings, so it stays a tie-breaker.
        Factor.SATISFACTION: 0.08,
        Factor.COMPLETION: 0.05,
        # A small nudge only: batch dispatch carries the real fairness term (convex costs).
        Factor.FAIRNESS: 0.07,
    }
)

OFFERING_WEIGHTS = MappingProxyType(
    {
        # The offering must serve the category; specialist offerings fit better than catch-alls.
        Factor.CATEGORY: 0.25,
        # Full-text match of the need's description refines the category (which kind of repair).
        Factor.TEXT: 0.15,
        # Units serve an area; the closer the area and the unit, the faster the response.
        Factor.PLACE: 0.20,
        Factor.AVAILABILITY: 0.10,
        # Capacity left: a unit near its limit answers slower.
        Factor.CAPACITY: 0.15,
        Factor.SATISFACTION: 0.10,
        Factor.COMPLETION: 0.05,
    }
)

VENUE_WEIGHTS = MappingProxyType(
    {
        # Participants walk to a venue: distance matters most.
        Factor.PLACE: 0.35,
        # A room that fits the group well (not a hall for ten people) keeps big rooms for big events.
        Factor.CAPACITY: 0.25,
        # Cheap or free sites (闲置国有场地 lent at low cost) stretch community money.
        Factor.FEE: 0.25,
        # Required facilities are a hard check; beyond that a better-equipped room is mildly preferred.
        Factor.FACILITIES: 0.15,
    }
)

PROGRAM_WEIGHTS = MappingProxyType(
    {
        # How much of the requested amount one grant can cover.
        Factor.COVERAGE: 0.40,
        # A program aimed at this district is meant for this need more than a city-wide one.
        Factor.SCOPE: 0.25,
        # Spreading grants over programs with budget left avoids draining one fund first.
        Factor.BUDGET: 0.20,
        # A program ending soon risks the grant outliving it.
        Factor.PERIOD: 0.15,
    }
)

FALLBACK_WEIGHTS = MappingProxyType(
    {
        # A fallback taken on for the need's own street is closer to it than one for a whole district.
        Factor.SCOPE: 0.60,
        # The residents' ratings of the unit's past service.
        Factor.SATISFACTION: 0.40,
    }
)

WEIGHTS = MappingProxyType(
    {
        CandidateKind.MEMBER: MEMBER_WEIGHTS,
        CandidateKind.UNIT: OFFERING_WEIGHTS,
        CandidateKind.VENUE: VENUE_WEIGHTS,
        CandidateKind.FUNDING: PROGRAM_WEIGHTS,
        CandidateKind.FALLBACK: FALLBACK_WEIGHTS,
    }
)

# --- place -----------------------------------------------------------------------------------------

# Value of the finest administrative level two places share. Same compound is next door; same
# community is the 双报到 unit; a different district still gets a little credit (a city of 13 M).
TIER_VALUE_COMPOUND = 1.0
TIER_VALUE_COMMUNITY = 0.85
TIER_VALUE_STREET = 0.6
TIER_VALUE_DISTRICT = 0.35
TIER_VALUE_NONE = 0.1
# Share of the place value taken from the tier; the rest is distance decay. Tiers reflect who is
# responsible (and registration), distance reflects the actual trip; both matter.
PLACE_TIER_SHARE = 0.6
# Distance at which the decay 1 / (1 + km / half) is 0.5: about a 30-minute walk.
DISTANCE_HALF_KM = 2.0

# --- time ------------------------------------------------------------------------------------------

# A typical service visit takes about two hours; more overlap than that adds nothing.
SERVICE_SECONDS = 2 * 3600
# Availability value for an "anytime" need when the candidate declared no hours: unknown, not zero.
UNKNOWN_AVAILABILITY_VALUE = 0.5

# --- reputation ------------------------------------------------------------------------------------

# Bayesian average: a member's ratings plus five virtual ratings at their community's mean, so one
# 5-star rating does not beat a steady 4.8 and one honest 2/5 moves a member a little, not to the bottom.
RATING_PRIOR_COUNT = 5
# The community's mean is itself pulled toward the city-wide 4.0 by ten virtual ratings, so a
# community with two ratings does not set the bar for everyone there.
RATING_PRIOR_MEAN = 4.0
COMMUNITY_PRIOR_COUNT = 10
# Two virtual tasks at 80 % completion for newcomers.
COMPLETION_PRIOR_RATE = 0.8
COMPLETION_PRIOR_COUNT = 2

# --- fairness (ranking nudge) ----------------------------------------------------------------------

# Recency: 1 − exp(−days / this); after about two weeks a member counts as rested.
FAIRNESS_RECENCY_DAYS = 7.0
# Volume: 1 / (1 + assigned / this); someone with 20 past assignments gets half the credit.
FAIRNESS_VOLUME_HALF = 20.0
FAIRNESS_RECENCY_SHARE = 0.5

# --- offerings -------------------------------------------------------------------------------------

# Full-text (Lucene) scores are unbounded; s / (s + half) maps them to 0–1 without depending on the
# other candidates, so a score does not change when the list changes.
TEXT_SCORE_HALF = 1.5
# A skill or offering serving one category is a specialist (value 1); serving many, down to this.
GENERALIST_FLOOR = 0.7

# --- venues ----------------------------------------------------------------------------------------

# Fee for the whole window at which the fee value is 0.5: 200 yuan, in fen.
FEE_HALF_FEN = 20_000
# With no facility asked for, this many facilities count as fully equipped.
FACILITIES_FULL = 4

# --- funding ---------------------------------------------------------------------------------------

# A program explicitly available in the need's district fits fully; a city-wide one (no district
# list) somewhat less, since district programs exist precisely for their district.
SCOPE_DISTRICT = 1.0
SCOPE_CITYWIDE = 0.6
# Days left in a program's period from which the period value is 1.
PERIOD_COMFORT_DAYS = 90

# --- fallback service (兜底) -----------------------------------------------------------------------

# A unit that took on the fallback for the need's street serves it fully; one for the whole district
# covers more compounds, each less closely.
FALLBACK_SCOPE_STREET = 1.0
FALLBACK_SCOPE_DISTRICT = 0.6

# --- batch dispatch --------------------------------------------------------------------------------

# Scores (0–1) become integer flow costs: four decimals are finer than any weight above.
DISPATCH_SCALE = 10_000
# Cost of the k-th extra assignment of one resource in one plan: step × k (0.05, 0.10, …).
DEFAULT_FAIRNESS_STEP = 0.05
