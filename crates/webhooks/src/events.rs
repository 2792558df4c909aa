//! The event types a subscription can ask for, and the payload's envelope.
//!
//! A payload is `{"type": …, "timestamp": RFC 3339 UTC, "data": {…}}`; `data` carries
//! `connection_id` where there is one. The bytes written to the outbox are the bytes sent
//! and signed: nothing re-serialises a payload after it was made.

use chrono::{DateTime, SecondsFormat, Utc};

/// Every event type, in the order they are documented.
pub const EVENT_TYPES: [EventType; 10] = [
    EventType::SyncCompleted,
    EventType::SyncFailed,
    EventType::ConnectionReauthorizationRequired,
    EventType::ConnectionStatusChanged,
    EventType::MappingPublished,
    EventType::MappingRolledBack,
    EventType::WorkOrderCreated,
    EventType::WorkOrderUpdated,
    EventType::WebhookDisabled,
    EventType::Ping,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    SyncCompleted,
    SyncFailed,
    ConnectionReauthorizationRequired,
    ConnectionStatusChanged,
    MappingPublished,
    MappingRolledBack,
    WorkOrderCreated,
    WorkOrderUpdated,
    /// An endpoint was disabled at the end of its retry schedule (sent to the
    /// organization's other endpoints that subscribe to it).
    WebhookDisabled,
    Ping,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {given:?}; known: {}", EVENT_TYPES.map(EventType::as_str).join(", "))]
pub struct UnknownEventType {
    pub given: String,
}

impl UnknownEventType {
    pub fn code(&self) -> &'static str {
        "event_type_unknown"
    }
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SyncCompleted => "sync.completed",
            EventType::SyncFailed => "sync.failed",
            EventType::ConnectionReauthorizationRequired => "connection.reauthorization_required",
            EventType::ConnectionStatusChanged => "connection.status_changed",
            EventType::MappingPublished => "mapping.published",
            EventType::MappingRolledBack => "mapping.rolled_back",
            EventType::WorkOrderCreated => "work_order.created",
            EventType::WorkOrderUpdated => "work_order.updated",
            EventType::WebhookDisabled => "webhook.disabled",
            EventType::Ping => "ping",
        }
    }
}

impl std::str::FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EVENT_TYPES
            .into_iter()
            .find(|event| event.as_str() == text)
            .ok_or_else(|| UnknownEventType {
                given: text.chars().take(64).collect(),
            })
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payload bytes of one event.
pub fn payload(event: EventType, at: DateTime<Utc>, data: serde_json::Value) -> Vec<u8> {
    let envelope = serde_json::json!({
        "type": event.as_str(),
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    });
    // Serialising a Value built here cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name() {
        for event in EVENT_TYPES {
            assert_eq!(event.as_str().parse::<EventType>(), Ok(event));
        }
        let unknown = "sync.exploded".parse::<EventType>().unwrap_err();
        assert_eq!(unknown.code(), "event_type_unknown");
        assert!(unknown.to_string().contains("sync.completed"), "{unknown}");
    }

    #[test]
    fn a_payload_is_the_envelope_with_type_timestamp_and_data() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let bytes = payload(
            EventType::Ping,
            at,
            serde_json::json!({"endpoint_id": "whe_1"}),
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"type":"ping","timestamp":"2026-11-30T06:00:00.000Z","data":{"endpoint_id":"whe_1"}}"#
        );
    }
}
