# The default work-order mapping (mappings/corrigo/work_order.json) written as a jq
# program, for scripts/bench-engine's comparison with jaq. Same fields, same
# normalisation; unmapped statuses become null here instead of a diagnostic.
def text: if type == "string" then (trim | if . == "" then null else . end) else null end;
def ref: if . == null or . == 0 then null else tostring end;
def utc: if type == "string" and (startswith("1753-01-01") | not)
  then (sub("\\.[0-9]+"; "") | if endswith("Z") then . else . + "Z" end | fromdateiso8601 | todateiso8601)
  else null end;
{
  key: (.Id | tostring),
  code: (.Number | text),
  title: (.TaskRefinement | text),
  status: ({"New": "open", "Open": "open", "InProgress": "in_progress", "Paused": "on_hold",
            "OnHold": "on_hold", "Completed": "completed", "Cancelled": "cancelled"}[.StatusId]),
  sourceStatus: .StatusId,
  priority: ({"1": "emergency", "2": "high", "3": "normal", "4": "low", "5": "planned", "6": "planned"}[.Priority.Id | tostring]),
  priorityKey: (.Priority.Id | ref),
  type: ({"Request": "request", "Basic": "corrective", "PMRM": "preventive", "Turn": "turn"}[.TypeCategory] // "other"),
  categoryName: (.TaskRefinement | if type == "string" then (split(":") | map(trim) | map(select(. != "")) | .[0] | text) else null end),
  siteKey: (.WorkZone.Id | ref),
  assetKey: (.MainAsset.Id | ref),
  locationName: (.ShortLocation | text),
  customerKey: (.Customer.Id | ref),
  requesterKey: (.RequestorContact.Id | ref),
  laborAssignedKey: (.Employee.Id | ref),
  contactName: (.ContactName | text),
  poNumber: (.PoNumber | text),
  isWarranty: .IsWarranty,
  notToExceed: (.VendorNte | if . == null then null else {amount: .Value, currency: .CurrencyTypeId} end),
  taskCount: (.Items | length),
  dueAt: (.DueDateUtc | utc),
  scheduledAt: (.ScheduledStartUtc | utc),
  acknowledgeBy: (.AcknowledgeByUtc | utc),
  onSiteBy: (.DtUtcOnSiteBy | utc),
  createdAt: (.CreatedDateUtc | utc),
  updatedAt: (.LastActionDateUtc | utc),
  custom: {display: "\(.Number) – \(.ShortLocation)", corrigoTimeZone: .TimeZone},
  _source: {system: "corrigo", entity: "WorkOrder", id: (.Id | tostring)}
}
