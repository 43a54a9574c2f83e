"""cashapp engine: the domain of cash application. Imports no gRPC."""
