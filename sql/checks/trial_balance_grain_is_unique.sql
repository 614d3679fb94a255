-- one row per company, financial year, period and account that appears more than once in fct_trial_balance
select
    company_id,
    financial_year_start,
    period,
    account_number,
    count(*) as copies
from fct_trial_balance
group by company_id, financial_year_start, period, account_number
having count(*) > 1
