{{ stg_coinalyze_funding('coinalyze__predicted_funding') }}
