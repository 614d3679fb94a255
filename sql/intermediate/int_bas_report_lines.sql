-- one row per financial statement line: the BAS account range it sums, in report order
-- BAS: 10-13 fixed assets, 14 inventory, 15 trade receivables (1510), 16 other current
-- receivables, 17 prepaid, 18 short-term investments, 19 cash and bank; 20 equity, 21 untaxed
-- reserves, 22 provisions, 23 long-term and 24-29 current liabilities; 30-39 revenue, 40-49 goods,
-- 50-69 other external costs, 70-76 personnel, 77-79 depreciation, 80-87 financial items,
-- 88 appropriations, 89 tax and result. The balance sheet's "calculated result" is the year's
-- result accounts, so that the balance sheet balances before the year is closed.
with lines (
    statement, section, line_code, line_name, account_from, account_to, sort_order
) as (
    values
    ('balance_sheet', 'assets', 'fixed_assets', 'Fixed assets (Anläggningstillgångar)', 1000, 1399, 10),
    ('balance_sheet', 'assets', 'inventory', 'Inventory (Varulager)', 1400, 1499, 20),
    ('balance_sheet', 'assets', 'trade_receivables', 'Trade receivables (Kundfordringar)', 1500, 1599, 30),
    ('balance_sheet', 'assets', 'other_current_receivables', 'Other current receivables (Övriga kortfristiga fordringar)', 1600, 1699, 40),
    ('balance_sheet', 'assets', 'prepaid_expenses', 'Prepaid expenses and accrued income (Förutbetalda kostnader och upplupna intäkter)', 1700, 1799, 50),
    ('balance_sheet', 'assets', 'short_term_investments', 'Short-term investments (Kortfristiga placeringar)', 1800, 1899, 60),
    ('balance_sheet', 'assets', 'cash_and_bank', 'Cash and bank (Kassa och bank)', 1900, 1999, 70),
    ('balance_sheet', 'equity_and_liabilities', 'equity', 'Equity (Eget kapital)', 2000, 2099, 110),
    ('balance_sheet', 'equity_and_liabilities', 'calculated_result', 'Calculated result for the year (Beräknat resultat)', 3000, 8999, 115),
    ('balance_sheet', 'equity_and_liabilities', 'untaxed_reserves', 'Untaxed reserves (Obeskattade reserver)', 2100, 2199, 120),
    ('balance_sheet', 'equity_and_liabilities', 'provisions', 'Provisions (Avsättningar)', 2200, 2299, 130),
    ('balance_sheet', 'equity_and_liabilities', 'long_term_liabilities', 'Long-term liabilities (Långfristiga skulder)', 2300, 2399, 140),
    ('balance_sheet', 'equity_and_liabilities', 'current_liabilities', 'Current liabilities (Kortfristiga skulder)', 2400, 2999, 150),
    ('income_statement', 'operating_income', 'net_revenue', 'Revenue (Rörelsens intäkter)', 3000, 3999, 210),
    ('income_statement', 'operating_expenses', 'goods', 'Goods, materials and services (Varor, material och tjänster)', 4000, 4999, 220),
    ('income_statement', 'operating_expenses', 'other_external_costs', 'Other external costs (Övriga externa kostnader)', 5000, 6999, 230),
    ('income_statement', 'operating_expenses', 'personnel', 'Personnel costs (Personalkostnader)', 7000, 7699, 240),
    ('income_statement', 'operating_expenses', 'depreciation', 'Depreciation (Av- och nedskrivningar)', 7700, 7999, 250),
    ('income_statement', 'financial_items', 'financial_items', 'Financial items (Finansiella poster)', 8000, 8799, 260),
    ('income_statement', 'appropriations_and_tax', 'appropriations', 'Appropriations (Bokslutsdispositioner)', 8800, 8899, 270),
    ('income_statement', 'appropriations_and_tax', 'tax_and_result', 'Tax and result for the year (Skatt och årets resultat)', 8900, 8999, 280)
)

select * from lines
