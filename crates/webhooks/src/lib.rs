//! Webhooks for Unifield, by the Standard Webhooks specification.
//!
//! - [`events`]: the event types and the payload envelope.
//! - [`secret`]: `whsec_…` signing secrets.
//! - [`signature`]: signing over the exact bytes sent, and a constant-time verifier.
//! - [`policy`]: where deliveries may go (https, public addresses, checked at connect time).
//! - [`send`]: one delivery attempt (no redirects, a time limit, only 2xx counts).
//! - [`schedule`]: exponential backoff with jitter for up to 24 h.
//! - [`store`] and [`worker`]: the delivery loop over a small storage trait, in order per
//!   endpoint, and an in-memory store.
//! - [`receiver`]: a verifying local receiver (`unifield webhook listen`, the tests).
//!
//! Every error has a stable machine code (`code()`); none carries a secret.

pub mod events;
pub mod policy;
pub mod receiver;
pub mod schedule;
pub mod secret;
pub mod send;
pub mod signature;
pub mod store;
pub mod worker;

pub use events::{EventType, EVENT_TYPES};
pub use policy::{DestinationPolicy, PolicyError};
pub use schedule::RetrySchedule;
pub use secret::{SecretError, SigningSecret};
pub use send::{AttemptError, AttemptOutcome, DeliveryClient, DeliveryClientConfig, Message};
pub use signature::{sign, ReceivedHeaders, SignedHeaders, Verifier, VerifyError};
pub use store::{AttemptRecord, DeliveryStore, DueDelivery, MemoryStore, NextStep, StoreError};
pub use worker::{DeliveryWorker, WorkerConfig};
