{{ stg_coinalyze_funding('coinalyze__funding') }}
