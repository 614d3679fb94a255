{#-
    A generic test: no two rows share the values of `columns` (the model's grain). On a mart
    built by joins (a reconciliation of ledger and subledger, an aging of open documents) a row
    more than the grain allows is a join that fanned out.
-#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(", ") }}, count(*) as copies
    from {{ model }}
    group by {{ columns | join(", ") }}
    having count(*) > 1
{% endtest %}
