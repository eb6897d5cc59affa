//! The vault's data model: identifiers, request and response types, and the shape rules
//! each field must satisfy. Nothing here touches keys or storage.

pub mod address;
pub mod api_key;
pub mod audit;
pub mod card;
pub mod customer;
pub mod ids;
pub mod metadata;
pub mod network_token;
pub mod page;
pub mod payment_method;
pub mod profile;
pub mod reports;
pub mod scope;
pub mod sensitive;
pub(crate) mod text;
pub mod time;
mod uuid_v7;

pub use address::Address;
pub use api_key::{ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeySecret};
pub use audit::{AuditAction, AuditActor, AuditEvent, AuditOutcome, AuditVerification};
pub use card::{CardInput, CardNetwork, MaskedCard};
pub use customer::{Customer, CustomerCreate, CustomerDeleted, CustomerPage, CustomerStatus, CustomerUpdate};
pub use ids::{ApiKeyId, CellId, CustomerId, MerchantId, PaymentMethodId, ProfileId};
pub use metadata::Metadata;
pub use network_token::{
    CryptogramRequest, NetworkCryptogram, NetworkToken, NetworkTokenInfo, NetworkTokenStatus, NetworkTokenView,
    ProviderError, ProviderErrorKind, ProvisionRequest, RevealedNetworkToken,
};
pub use page::PageRequest;
pub use payment_method::{
    CvcStorage, PaymentMethod, PaymentMethodCreate, PaymentMethodCreated, PaymentMethodDeleted, PaymentMethodPage,
    PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, PaymentMethodUpdate, RevealedCard, StorageType,
};
pub use profile::{Profile, ProfileCreate, ProfileSettings};
pub use reports::{
    ProblemKind, ProfileStats, ReencryptOptions, ReencryptProgress, ReencryptReport, VaultStats, VerifyProblem,
    VerifyProgress, VerifyReport,
};
pub use scope::{Scope, Scopes};
pub use sensitive::SecretString;
pub use time::Timestamp;
