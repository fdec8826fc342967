-- The verdict columns agree with each other on every row of the mart:
-- the multiplier is multiplier_all_conditions exactly when all three conditions hold, the regime is
-- deleveraging_precondition exactly then, conditions_met <= conditions_evaluated, and as_of is the day's end.
select *
from {{ ref('leverage_condition') }}
where {% if var('multiplier_all_conditions') != var('multiplier_default') -%}
      (position_size_multiplier = {{ var('multiplier_all_conditions') }})
        <> coalesce(oi_at_local_high and funding_sustained_above_p90 and liq_clusters_dense, false)
   or {% endif -%}
   (regime = 'deleveraging_precondition') <> (conditions_met = 3)
   or conditions_met > conditions_evaluated
   or as_of <> cast(date as timestamp) + interval 1 day
   or (funding_sustained_above_p90 is distinct from (funding_hours_above_p90 >= {{ var('funding_sustained_hours') }}))
