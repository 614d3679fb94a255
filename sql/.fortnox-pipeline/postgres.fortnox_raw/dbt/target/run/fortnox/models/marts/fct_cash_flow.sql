
  
    

  create  table "postgres"."analytics"."fct_cash_flow__dbt_tmp"
  
  
    as
  
  (
    -- one row per company, financial year, period and cash-flow row (indirect method): the period and the year to date
-- Kassaflödesanalys, indirect method, by BAS groups: operating = result after financial items
-- (result accounts other than 88 and 89) + depreciation added back (77-78) + other non-cash
-- items (appropriations 88 with untaxed reserves 21 and provisions 22) - tax paid (tax 8900-8989
-- with the tax liability 2510-2519) - the change in inventory (14), receivables (15-17) and
-- current liabilities (24-29 except 2510-2519); investing = fixed assets (10-13, before the
-- depreciation booked against them) and short-term investments (18); financing = long-term
-- loans (23) and equity (20, with the closing entry 8990-8999 that moves the result there).
-- A balance account outside these groups is `unclassified`, so nothing is lost. Amounts are
-- cash effects: an inflow positive. `cash_flow_for_the_period` (the sum) equals
-- `change_in_cash_and_bank` (the movement on 19xx): checks/cash_flow_equals_change_in_cash.sql.
with balances as (
    select * from "postgres"."analytics"."int_account_period_balances"
),

layout (section, line_code, line_name, row_type, sort_order) as (
    values
    ('operating', 'result_after_financial_items', 'Resultat efter finansiella poster (result after financial items)', 'line', 110),
    ('operating', 'depreciation', 'Avskrivningar (depreciation added back)', 'line', 120),
    ('operating', 'other_non_cash_items', 'Övriga ej kassapåverkande poster (appropriations, reserves, provisions)', 'line', 130),
    ('operating', 'tax_paid', 'Betald skatt (tax paid)', 'line', 140),
    ('operating', 'change_in_inventory', 'Förändring av varulager (change in inventory)', 'line', 150),
    ('operating', 'change_in_receivables', 'Förändring av rörelsefordringar (change in receivables)', 'line', 160),
    ('operating', 'change_in_current_liabilities', 'Förändring av rörelseskulder (change in current liabilities)', 'line', 170),
    ('operating', 'cash_flow_from_operations', 'Kassaflöde från den löpande verksamheten (operating activities)', 'subtotal', 199),
    ('investing', 'investments_in_fixed_assets', 'Investeringar i anläggningstillgångar (fixed assets, net)', 'line', 210),
    ('investing', 'short_term_investments', 'Förändring av kortfristiga placeringar (short-term investments)', 'line', 220),
    ('investing', 'cash_flow_from_investing', 'Kassaflöde från investeringsverksamheten (investing activities)', 'subtotal', 299),
    ('financing', 'long_term_liabilities', 'Förändring av långfristiga skulder (long-term loans)', 'line', 310),
    ('financing', 'equity_contributions_and_dividends', 'Tillskott och utdelningar (equity)', 'line', 320),
    ('financing', 'unclassified', 'Oklassificerat (balance accounts outside every group)', 'line', 330),
    ('financing', 'cash_flow_from_financing', 'Kassaflöde från finansieringsverksamheten (financing activities)', 'subtotal', 399),
    ('total', 'cash_flow_for_the_period', 'Periodens kassaflöde (cash flow for the period)', 'total', 900),
    ('cash', 'change_in_cash_and_bank', 'Förändring av likvida medel, 19xx (change in cash and bank)', 'memo', 910)
),

classified as (
    select
        *,
        left(account_number, 2) as bas_group,
        left(account_number, 3) as bas_subgroup
    from balances
),

contributions as (
    select
        company_id,
        file_sha256,
        period,
        case
            when not is_balance_account and bas_subgroup = '899' then 'equity_contributions_and_dividends'
            when not is_balance_account and bas_subgroup between '890' and '898' then 'tax_paid'
            when not is_balance_account and bas_group = '88' then 'other_non_cash_items'
            when not is_balance_account then 'result_after_financial_items'
            when bas_group = '19' then 'change_in_cash_and_bank'
            when bas_group between '10' and '13' then 'investments_in_fixed_assets'
            when bas_group = '14' then 'change_in_inventory'
            when bas_group between '15' and '17' then 'change_in_receivables'
            when bas_group = '18' then 'short_term_investments'
            when bas_group = '20' then 'equity_contributions_and_dividends'
            when bas_group in ('21', '22') then 'other_non_cash_items'
            when bas_group = '23' then 'long_term_liabilities'
            when bas_subgroup = '251' then 'tax_paid'
            when bas_group between '24' and '29' then 'change_in_current_liabilities'
            else 'unclassified'
        end as line_code,
        -- Cash in is a credit elsewhere: the negated movement; cash itself keeps its own sign.
        case when is_balance_account and bas_group = '19' then movement else -movement end
            as amount
    from classified
    union all
    -- Depreciation reduced the result but no cash left: added back, and taken out of the fixed
    -- assets' change, where its counter-entry (accumulated depreciation) sits.
    select company_id, file_sha256, period, 'depreciation' as line_code, movement as amount
    from classified
    where not is_balance_account and bas_group in ('77', '78')
    union all
    select
        company_id,
        file_sha256,
        period,
        'investments_in_fixed_assets' as line_code,
        -movement as amount
    from classified
    where not is_balance_account and bas_group in ('77', '78')
),

line_amounts as (
    select company_id, file_sha256, period, line_code, sum(amount) as amount
    from contributions
    group by 1, 2, 3, 4
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
        period_start,
        period_end
    from balances
),

grid as (
    select
        periods.*,
        layout.*,
        coalesce(line_amounts.amount, 0) as amount
    from periods
    cross join layout
    left join line_amounts
        on periods.company_id = line_amounts.company_id
        and periods.file_sha256 = line_amounts.file_sha256
        and periods.period = line_amounts.period
        and layout.line_code = line_amounts.line_code
),

subtotals as (
    select
        company_id,
        file_sha256,
        period,
        section,
        sum(amount) as section_amount
    from grid
    where row_type = 'line'
    group by 1, 2, 3, 4
),

totals as (
    select company_id, file_sha256, period, sum(section_amount) as total_amount
    from subtotals
    group by 1, 2, 3
),

amounts as (
    select
        grid.company_id,
        grid.financial_year_id,
        grid.financial_year,
        grid.financial_year_start,
        grid.financial_year_end,
        grid.file_sha256,
        grid.period,
        grid.period_index,
        grid.period_start,
        grid.period_end,
        grid.section,
        grid.line_code,
        grid.line_name,
        grid.row_type,
        grid.sort_order,
        case grid.row_type
            when 'subtotal' then coalesce(subtotals.section_amount, 0)
            when 'total' then coalesce(totals.total_amount, 0)
            else grid.amount
        end as period_amount
    from grid
    left join subtotals
        on grid.company_id = subtotals.company_id
        and grid.file_sha256 = subtotals.file_sha256
        and grid.period = subtotals.period
        and grid.section = subtotals.section
    left join totals
        on grid.company_id = totals.company_id
        and grid.file_sha256 = totals.file_sha256
        and grid.period = totals.period
),

locked as (
    select * from "postgres"."analytics"."dim_locked_period"
),

final as (
    select
        amounts.company_id,
        amounts.financial_year_id,
        amounts.financial_year,
        amounts.financial_year_start,
        amounts.financial_year_end,
        amounts.period,
        amounts.period_index,
        amounts.period_start,
        amounts.period_end,
        amounts.section,
        amounts.line_code,
        amounts.line_name,
        amounts.row_type,
        amounts.sort_order,
        amounts.period_amount::decimal(18, 2) as period_amount,
        sum(amounts.period_amount) over (
            partition by amounts.company_id, amounts.file_sha256, amounts.line_code
            order by amounts.period_start
            rows between unbounded preceding and current row
        )::decimal(18, 2) as year_to_date_amount,
        coalesce(amounts.period_end <= locked.locked_through, false) as is_final,
        amounts.file_sha256
    from amounts
    left join locked on amounts.company_id = locked.company_id
)

select * from final
  );
  