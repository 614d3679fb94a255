{#-
    The few expressions DuckDB and PostgreSQL spell differently, dispatched on the adapter so
    that every model is written once. DuckDB keeps its native spelling (the models' figures on
    DuckDB are exactly those of before); `default__` is the standard SQL PostgreSQL speaks.
-#}

{#- The calendar month of a date as text, YYYY-MM. -#}
{% macro year_month_text(date_expression) -%}
    {{ return(adapter.dispatch("year_month_text", "fortnox")(date_expression)) }}
{%- endmacro %}
{% macro duckdb__year_month_text(date_expression) -%}
    strftime({{ date_expression }}, '%Y-%m')
{%- endmacro %}
{% macro default__year_month_text(date_expression) -%}
    to_char({{ date_expression }}, 'YYYY-MM')
{%- endmacro %}


{#- A date as text, YYYY-MM-DD. -#}
{% macro iso_date_text(date_expression) -%}
    {{ return(adapter.dispatch("iso_date_text", "fortnox")(date_expression)) }}
{%- endmacro %}
{% macro duckdb__iso_date_text(date_expression) -%}
    strftime({{ date_expression }}, '%Y-%m-%d')
{%- endmacro %}
{% macro default__iso_date_text(date_expression) -%}
    to_char({{ date_expression }}, 'YYYY-MM-DD')
{%- endmacro %}


{#- The last day of a date's month, as a date. -#}
{% macro month_end(date_expression) -%}
    {{ return(adapter.dispatch("month_end", "fortnox")(date_expression)) }}
{%- endmacro %}
{% macro duckdb__month_end(date_expression) -%}
    last_day({{ date_expression }})
{%- endmacro %}
{% macro default__month_end(date_expression) -%}
    cast(date_trunc('month', {{ date_expression }}) + interval '1 month' - interval '1 day' as date)
{%- endmacro %}


{#- The first day of a date's month, as a date. -#}
{% macro month_start(date_expression) -%}
    {{ return(adapter.dispatch("month_start", "fortnox")(date_expression)) }}
{%- endmacro %}
{% macro duckdb__month_start(date_expression) -%}
    date_trunc('month', {{ date_expression }})
{%- endmacro %}
{% macro default__month_start(date_expression) -%}
    cast(date_trunc('month', {{ date_expression }}) as date)
{%- endmacro %}


{#-
    One row per month from the month of `start_date` to `end_date` (a set-returning expression in
    the SELECT list): the first day of each month, as a date.
-#}
{% macro months_between(start_date, end_date) -%}
    {{ return(adapter.dispatch("months_between", "fortnox")(start_date, end_date)) }}
{%- endmacro %}
{% macro duckdb__months_between(start_date, end_date) -%}
    unnest(
            generate_series(
                date_trunc('month', {{ start_date }}),
                {{ end_date }},
                interval 1 month
            )
        )::date
{%- endmacro %}
{% macro default__months_between(start_date, end_date) -%}
    cast(
            generate_series(
                cast(date_trunc('month', {{ start_date }}) as timestamp),
                cast({{ end_date }} as timestamp),
                interval '1 month'
            ) as date
        )
{%- endmacro %}


{#- The value of `value_expression` on the row where `order_expression` is greatest. -#}
{% macro arg_max(value_expression, order_expression, where=none) -%}
    {{ return(adapter.dispatch("arg_max", "fortnox")(value_expression, order_expression, where)) }}
{%- endmacro %}
{% macro duckdb__arg_max(value_expression, order_expression, where) -%}
    arg_max({{ value_expression }}, {{ order_expression }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}
{% macro default__arg_max(value_expression, order_expression, where) -%}
    (array_agg({{ value_expression }} order by {{ order_expression }} desc)
        filter (where {{ order_expression }} is not null and {{ value_expression }} is not null
        {%- if where %} and ({{ where }}){% endif %}))[1]
{%- endmacro %}


{#- The value of `value_expression` on the row where `order_expression` is least. -#}
{% macro arg_min(value_expression, order_expression, where=none) -%}
    {{ return(adapter.dispatch("arg_min", "fortnox")(value_expression, order_expression, where)) }}
{%- endmacro %}
{% macro duckdb__arg_min(value_expression, order_expression, where) -%}
    arg_min({{ value_expression }}, {{ order_expression }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}
{% macro default__arg_min(value_expression, order_expression, where) -%}
    (array_agg({{ value_expression }} order by {{ order_expression }})
        filter (where {{ order_expression }} is not null and {{ value_expression }} is not null
        {%- if where %} and ({{ where }}){% endif %}))[1]
{%- endmacro %}


{#- A text of digits as a bigint, NULL for anything else (an account number '12A'). -#}
{% macro digits_as_bigint(text_expression) -%}
    {{ return(adapter.dispatch("digits_as_bigint", "fortnox")(text_expression)) }}
{%- endmacro %}
{% macro duckdb__digits_as_bigint(text_expression) -%}
    try_cast({{ text_expression }} as bigint)
{%- endmacro %}
{% macro default__digits_as_bigint(text_expression) -%}
    case
            when {{ text_expression }} ~ '^\s*[+-]?[0-9]{1,18}\s*$'
                then cast({{ text_expression }} as bigint)
        end
{%- endmacro %}


{#- Any one value of a group (they are known to be equal, or any one will do). -#}
{% macro any_value(expression) -%}
    {{ return(adapter.dispatch("any_value", "fortnox")(expression)) }}
{%- endmacro %}
{% macro duckdb__any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}
{% macro default__any_value(expression) -%}
    min({{ expression }})
{%- endmacro %}


{#-
    Every column of a built relation but those named, in order: DuckDB's `* exclude (...)`,
    which PostgreSQL lacks. Read from the warehouse at run time, like dbt_utils' `star`.
-#}
{% macro star_except(relation, except) -%}
    {%- if not execute -%}
        {{ return("*") }}
    {%- endif -%}
    {%- set excluded = except | map("lower") | list -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation)
            if column.name | lower not in excluded -%}
        {%- do names.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return(names | join(",\n        ")) }}
{%- endmacro %}


{#-
    An amount divided by a rate, rounded to öre. DuckDB divides decimals in floating point, and
    the models keep that (their figures on DuckDB are those of before, to the öre); PostgreSQL
    divides numerics exactly. The two can round apart where a product of this quotient and a
    rate lands on exactly half an öre (44 of 144,552 payments of the large sandbox company):
    making DuckDB exact too is one line here, and changes those öre.
-#}
{% macro money_quotient(amount, divisor) -%}
    round({{ amount }} / {{ divisor }}, 2)
{%- endmacro %}
