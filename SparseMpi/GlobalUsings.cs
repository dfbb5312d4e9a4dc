// The one-line error policy (UsageException, CollectiveUsageException, Preflight, OutputPaths) is used by every
// layer of the program, and depends on none of them.
global using SparseMpi.Errors;
