using System.Linq;
using GenDsl.Generators.Common;

namespace GenDsl.Generators.Flows;

/// <summary>
/// What the generator emits for a flow that fails validation instead of the flow: throwing
/// implementation parts for its partial layer properties (see <see cref="StubEmitter"/>), so that
/// `dotnet build` shows the GD diagnostics rather than CS9248.
/// </summary>
internal static class FlowStubEmitter
{
    /// <summary>The stub source, or null when there is nothing to complete or no partial declaration can be added.</summary>
    public static string? Emit(FlowSpec spec) =>
        StubEmitter.Emit(spec.Namespace, spec.FullName, spec.StubShell, spec.Layers.Select(l => l.Stub));
}
