using System.Linq;
using GenDsl.Generators.Common;

namespace GenDsl.Generators.Networks;

/// <summary>
/// What the generator emits for a VAE or GAN that fails validation instead of the model: throwing
/// implementation parts for its partial layer properties (<c>public partial Dense E1 { get; }</c>; see
/// <see cref="StubEmitter"/>), so that `dotnet build` shows the GD diagnostics rather than CS9248.
/// </summary>
internal static class NetStubEmitter
{
    /// <summary>The stub source, or null when there is nothing to complete or no partial declaration can be added.</summary>
    public static string? Emit(NetModelSpec spec) =>
        StubEmitter.Emit(spec.Namespace, spec.FullName, spec.StubShell, spec.Layers.Select(l => l.Stub));
}
