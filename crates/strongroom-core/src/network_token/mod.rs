//! Network tokenization: the provider a host plugs in, and the built-in simulator.

mod provider;
mod simulator;

pub use provider::NetworkTokenProvider;
pub use simulator::{SimulatedNetworkTokenProvider, SimulatorFaults};
