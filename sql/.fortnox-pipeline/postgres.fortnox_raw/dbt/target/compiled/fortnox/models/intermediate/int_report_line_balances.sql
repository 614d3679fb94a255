-- one row per company, financial year, period, statement and layout row (lines, subtotals, totals): summed balances in SIE sign
-- Amounts in SIE sign (debit positive); each statement mart chooses its signs. Every row of the
-- layout (seed `report_layout`) appears in every period, a line with no accounts as zero. A line
-- sums the accounts `int_account_lines` puts in it; the balance sheet's `calculated_result` sums
-- every result account of the year, closing entries (8990-8999) included, so that it is the
-- year's result while the year is open and zero once the result is closed to 2099 (which then
-- carries it). A subtotal or total sums the `line` rows of its statement whose sort order lies
-- from its `sums_from_sort_order` up to its own; `excluded` rows (the closing entry on the income
-- statement) are shown apart and counted in no subtotal.

with balances as (
    select * from "postgres"."analytics"."int_account_period_balances"
),

account_lines as (
    select * from "postgres"."analytics"."int_account_lines"
),

layout as (
    select
        trim(statement) as statement,
        trim(section) as section,
        trim(line_code) as line_code,
        line_name,
        trim(row_type) as row_type,
        cast(sort_order as integer) as sort_order,
        cast(nullif(trim(sums_from_sort_order), '') as integer) as sums_from_sort_order
    from "postgres"."analytics"."report_layout"
),

periods as (
    select distinct
        company_id,
        financial_year_id,
        financial_year,
        financial_year_start,
        financial_year_end,
        file_sha256,
        period,
        period_index,
        period_month,
        period_start,
        period_end
    from balances
),

account_amounts as (
    select
        balances.company_id,
        balances.file_sha256,
        balances.period,
        account_lines.statement,
        account_lines.line_code,
        balances.year_opening_balance,
        balances.movement,
        balances.closing_balance
    from balances
    inner join account_lines
        on balances.company_id = account_lines.company_id
        and balances.file_sha256 = account_lines.file_sha256
        and balances.account_number = account_lines.account_number
    union all
    select
        company_id,
        file_sha256,
        period,
        'balance_sheet' as statement,
        'calculated_result' as line_code,
        year_opening_balance,
        movement,
        closing_balance
    from balances
    where not is_balance_account
),

line_amounts as (
    select
        company_id,
        file_sha256,
        period,
        statement,
        line_code,
        sum(year_opening_balance) as year_opening_balance,
        sum(movement) as movement,
        sum(closing_balance) as closing_balance
    from account_amounts
    group by 1, 2, 3, 4, 5
),

grid as (
    select
        periods.*,
        layout.*,
        coalesce(line_amounts.year_opening_balance, 0) as year_opening_balance,
        coalesce(line_amounts.movement, 0) as movement,
        coalesce(line_amounts.closing_balance, 0) as closing_balance
    from periods
    cross join layout
    left join line_amounts
        on periods.company_id = line_amounts.company_id
        and periods.file_sha256 = line_amounts.file_sha256
        and periods.period = line_amounts.period
        and layout.statement = line_amounts.statement
        and layout.line_code = line_amounts.line_code
),

subtotals as (
    select
        totals.company_id,
        totals.file_sha256,
        totals.period,
        totals.statement,
        totals.line_code,
        sum(parts.year_opening_balance) as year_opening_balance,
        sum(parts.movement) as movement,
        sum(parts.closing_balance) as closing_balance
    from grid as totals
    inner join grid as parts
        on totals.company_id = parts.company_id
        and totals.file_sha256 = parts.file_sha256
        and totals.period = parts.period
        and totals.statement = parts.statement
        and parts.row_type = 'line'
        and parts.sort_order between totals.sums_from_sort_order and totals.sort_order
    where totals.row_type in ('subtotal', 'total')
    group by 1, 2, 3, 4, 5
),

with_subtotals as (
    select
        grid.company_id,
        grid.financial_year_id,
        grid.financial_year,
        grid.financial_year_start,
        grid.financial_year_end,
        grid.file_sha256,
        grid.period,
        grid.period_index,
        grid.period_month,
        grid.period_start,
        grid.period_end,
        grid.statement,
        grid.section,
        grid.line_code,
        grid.line_name,
        grid.row_type,
        grid.sort_order,
        grid.sums_from_sort_order,
        coalesce(subtotals.year_opening_balance, grid.year_opening_balance) as year_opening_balance,
        coalesce(subtotals.movement, grid.movement) as movement,
        coalesce(subtotals.closing_balance, grid.closing_balance) as closing_balance
    from grid
    left join subtotals
        on grid.company_id = subtotals.company_id
        and grid.file_sha256 = subtotals.file_sha256
        and grid.period = subtotals.period
        and grid.statement = subtotals.statement
        and grid.line_code = subtotals.line_code
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        with_subtotals.company_id,
        with_subtotals.financial_year_id,
        with_subtotals.financial_year,
        with_subtotals.financial_year_start,
        with_subtotals.financial_year_end,
        with_subtotals.file_sha256,
        with_subtotals.period,
        with_subtotals.period_index,
        with_subtotals.period_month,
        with_subtotals.period_start,
        with_subtotals.period_end,
        with_subtotals.statement,
        with_subtotals.section,
        with_subtotals.line_code,
        with_subtotals.line_name,
        with_subtotals.row_type,
        with_subtotals.sort_order,
        with_subtotals.sums_from_sort_order,
        with_subtotals.year_opening_balance::decimal(18, 2) as year_opening_balance,
        with_subtotals.movement::decimal(18, 2) as movement,
        with_subtotals.closing_balance::decimal(18, 2) as closing_balance,
        coalesce(with_subtotals.period_end <= locked.locked_through, false) as is_final
    from with_subtotals
    left join locked on with_subtotals.company_id = locked.company_id
)

select * from final