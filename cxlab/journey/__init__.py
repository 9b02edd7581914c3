"""Touch points, journeys and channels: what an aggregate score hides.

An overall NPS or satisfaction score can look healthy while single touch points
fail. This module measures the journey piece by piece:

- :func:`inventory` -- the touch-point inventory (``touchpoints`` table) with each
  touch point's relationship scores (NPS, CSAT, CES with intervals) and an
  operational KPI derived from the interactions (conversion of the journeys that
  pass through it);
- :func:`load_case`, :func:`case_study`, :func:`aggregate_masking`,
  :func:`plot_journey` -- declarative journey case studies (YAML files; shipped
  ones live in ``cxlab/case_studies``), with literal scores or queries against the
  warehouse;
- :func:`touchpoint_vs_overall` -- a customer's score at one touch point against
  the same customer's score everywhere else;
- :func:`journeys`, :func:`transitions`, :func:`transition_matrix`,
  :func:`stage_dropoff`, :func:`time_between_stages`, :func:`removal_effects`,
  :func:`absorption_probabilities` -- path analysis of the ``interactions`` event
  log, including Markov-chain removal effects;
- :func:`channel_consistency`, :func:`channel_gaps`, :func:`channel_switching` --
  the same touch point across channels, and journeys that switch channel.

The package, one topic per module (every name below is importable from
``cxlab.journey``):

``events``       the event log in the engine: :func:`journeys` (the journey rules),
                 :func:`journey_summary`, :func:`path_counts`, :func:`transitions`,
                 :func:`transition_matrix`, :func:`interactions_view`
``funnel``       :func:`stage_dropoff`, :func:`time_between_stages`
``markov``       the absorbing chain: :func:`absorption_probabilities`,
                 :func:`conversion_probability`, :func:`removal_effects`,
                 :func:`state_order` (its states in reading order)
``touchpoints``  adjusted touch-point effects: :func:`journey_patterns`,
                 :func:`touchpoint_effects`, :func:`touchpoint_verdict_text`
``inventory``    :func:`inventory`, :func:`touchpoint_vs_overall`
``channels``     :func:`channel_consistency`, :func:`channel_gaps`,
                 :func:`channel_switching`
``casefiles``    case-study files: :class:`CaseStudy`, :func:`list_cases`,
                 :func:`load_case` (YAML, validated)
``cases``        case studies scored: :func:`case_study` (a :class:`CaseStudyResult`),
                 :func:`aggregate_masking`
``narrative``    the case study in words: :func:`title`, :func:`intro`, :func:`lead`
                 (the opening sentences), :func:`weak_text`, :func:`masking_text`
``findings``     the warehouse sections in words: :func:`inventory_table`,
                 :func:`inventory_text`,
                 :func:`vs_overall_text`, :func:`paths_text`, :func:`dropoff_text`,
                 :func:`channel_gaps_text`, :func:`consistency_text`,
                 :func:`switching_text`
``plots``        :func:`plot_journey`, :func:`plot_transitions`,
                 :func:`plot_removal_effects`, :func:`plot_dropoff`
``_common``      what several modules share: :class:`JourneyColumns` (the event
                 log's columns and journey rules, taken by every function built
                 on journeys), state names, the two-proportion test, the
                 evidence order
"""

from __future__ import annotations

from cxlab.journey._common import CONVERSION, DROP_OFF, START, JourneyColumns
from cxlab.journey.casefiles import CaseStudy, list_cases, load_case
from cxlab.journey.cases import CaseStudyResult, aggregate_masking, case_study
from cxlab.journey.channels import channel_consistency, channel_gaps, channel_switching
from cxlab.journey.events import (
    interactions_view,
    journey_summary,
    journeys,
    path_counts,
    transition_matrix,
    transitions,
)
from cxlab.journey.findings import (
    channel_gaps_text,
    consistency_text,
    dropoff_text,
    inventory_table,
    inventory_text,
    paths_text,
    switching_text,
    vs_overall_text,
)
from cxlab.journey.funnel import stage_dropoff, time_between_stages
from cxlab.journey.inventory import inventory, touchpoint_vs_overall
from cxlab.journey.markov import (
    absorption_probabilities,
    conversion_probability,
    removal_effects,
    state_order,
)
from cxlab.journey.narrative import intro, lead, masking_text, title, weak_text
from cxlab.journey.plots import plot_dropoff, plot_journey, plot_removal_effects, plot_transitions
from cxlab.journey.touchpoints import (
    journey_patterns,
    touchpoint_effects,
    touchpoint_verdict_text,
)

__all__ = [
    "CONVERSION",
    "CaseStudy",
    "CaseStudyResult",
    "DROP_OFF",
    "JourneyColumns",
    "START",
    "absorption_probabilities",
    "aggregate_masking",
    "case_study",
    "channel_consistency",
    "channel_gaps",
    "channel_gaps_text",
    "channel_switching",
    "consistency_text",
    "conversion_probability",
    "dropoff_text",
    "interactions_view",
    "intro",
    "inventory",
    "inventory_table",
    "inventory_text",
    "journey_patterns",
    "journey_summary",
    "journeys",
    "lead",
    "list_cases",
    "load_case",
    "masking_text",
    "path_counts",
    "paths_text",
    "plot_dropoff",
    "plot_journey",
    "plot_removal_effects",
    "plot_transitions",
    "removal_effects",
    "stage_dropoff",
    "state_order",
    "switching_text",
    "time_between_stages",
    "title",
    "touchpoint_effects",
    "touchpoint_verdict_text",
    "touchpoint_vs_overall",
    "transition_matrix",
    "transitions",
    "vs_overall_text",
    "weak_text",
]
