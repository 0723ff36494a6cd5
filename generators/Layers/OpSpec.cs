using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>
/// One network layer as declared, in plain values (no symbols, nodes or locations, so the incremental
/// pipeline can compare and cache it): the op's short attribute name ("Dense", "Conv") and its
/// arguments in the order of that op's <see cref="Op.Arguments"/>.
/// </summary>
/// <param name="Op">The op's short name, the key of <see cref="OpCatalog"/>.</param>
/// <param name="Args">Integer arguments (enums as their values), in the op's argument order.</param>
internal sealed record OpSpec(string Op, EquatableArray<int> Args)
{
    public int this[int index] => index < Args.Count ? Args[index] : 0;
}
