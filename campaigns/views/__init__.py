"""
Campaign pages, one module per area: campaign_pages (campaigns), target_pages (targets and the evidence they cite),
work_pages (interactions, batches, tasks, my work), pack_pages (briefing packs). Each view fetches with an access
check (get_for_user: 404 for another group's objects; get_for_writer: 403 for a role that only reads), hands
cleaned form values to campaigns/services.py and redirects; a refused form is shown again with its errors and
status 400. campaigns/urls.py names each view by its module.
"""
