namespace GenDsl.Generators;

/// <summary>Names of the incremental pipeline's steps (asserted Cached/Unchanged by the tests).</summary>
internal static class TrackingNames
{
    public const string FlowSpecs = nameof(FlowSpecs);
    public const string ValidFlows = nameof(ValidFlows);
    public const string FlowPlans = nameof(FlowPlans);
    public const string NetSpecs = nameof(NetSpecs);
    public const string ValidNets = nameof(ValidNets);
    public const string NetPlans = nameof(NetPlans);
    public const string FlowStubs = nameof(FlowStubs);
    public const string NetStubs = nameof(NetStubs);
}
