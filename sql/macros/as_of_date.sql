{#-
    The "today" of the models that look at one date (aging, the reconciliation's current row).

    It is a session setting, not a value compiled into the SQL, so that the compiled models stay
    the same for every date: `reconcile --as-of` evaluates them for another date by setting it
    on its own connection. The pre-hook of the model that reads it sets it from the variable
    `as_of_date` (else the environment's FORTNOX_AS_OF_DATE); unset means each company's latest
    date in its books.
-#}
{% macro as_of_date() -%}
    {{ return(adapter.dispatch("as_of_date", "fortnox")()) }}
{%- endmacro %}

{% macro duckdb__as_of_date() -%}
    cast(getvariable('as_of_date') as date)
{%- endmacro %}

{% macro default__as_of_date() -%}
    cast(nullif(current_setting('fortnox.as_of_date', true), '') as date)
{%- endmacro %}


{% macro as_of_date_value() -%}
    {{ return(var("as_of_date", env_var("FORTNOX_AS_OF_DATE", "")) or "") }}
{%- endmacro %}


{% macro set_as_of_date() -%}
    {{ return(adapter.dispatch("set_as_of_date", "fortnox")()) }}
{%- endmacro %}

{% macro duckdb__set_as_of_date() -%}
    {%- set as_of = fortnox.as_of_date_value() -%}
    {%- if as_of -%}
        set variable as_of_date = date '{{ modules.datetime.date.fromisoformat(as_of | string) }}'
    {%- else -%}
        reset variable as_of_date
    {%- endif -%}
{%- endmacro %}

{% macro default__set_as_of_date() -%}
    {%- set as_of = fortnox.as_of_date_value() -%}
    select set_config(
        'fortnox.as_of_date',
        '{{ modules.datetime.date.fromisoformat(as_of | string) if as_of else "" }}',
        false
    )
{%- endmacro %}
