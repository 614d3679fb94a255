{% macro fortnox_source(table_name) -%}
{#-
    A raw table as a SELECT of exactly the columns its source YAML declares.

    A declared column the table lacks (an older load, a field Fortnox only sends on the detail
    record) reads as NULL of its declared type; an absent table reads as an empty table of those
    columns. dbt cannot skip a model at run time, so the models that need a table which may be
    absent read it through this macro instead of `source()` alone.
-#}
{%- set relation = source('fortnox', table_name) -%}
{%- if not execute -%}
select * from {{ relation }}
{%- else -%}
{%- set declared = fortnox_declared_columns(table_name) -%}
{%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
{%- if existing is none -%}
select
{%- for name, data_type in declared %}
        cast(null as {{ data_type }}) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
{%- endfor %}
    where 1 = 0
{%- else -%}
{%- set present = adapter.get_columns_in_relation(existing) | map(attribute="name") | map("lower") | list -%}
select
{%- for name, data_type in declared %}
        {% if name | lower in present -%}
        {{ adapter.quote(name) }}
        {%- else -%}
        cast(null as {{ data_type }}) as {{ adapter.quote(name) }}
        {%- endif %}{{ "," if not loop.last }}
{%- endfor %}
    from {{ relation }}
{%- endif -%}
{%- endif -%}
{%- endmacro %}


{% macro fortnox_declared_columns(table_name) -%}
{#- (name, data_type) of each column the `fortnox` source declares for `table_name`. -#}
{%- set declared = [] -%}
{%- for node in graph.sources.values()
        if node.source_name == "fortnox" and node.name == table_name -%}
    {%- for column in node.columns.values() -%}
        {%- do declared.append((column.name, column.data_type or "varchar")) -%}
    {%- endfor -%}
{%- endfor -%}
{%- if not declared -%}
    {{ exceptions.raise_compiler_error("source fortnox." ~ table_name ~ " declares no columns") }}
{%- endif -%}
{{ return(declared) }}
{%- endmacro %}
