using System.Collections.Generic;
using System.Linq;

namespace GenDsl.Generators.Layers;

/// <summary>
/// Every network op GenDsl knows, by short attribute name. Adding a layer kind is one file with an
/// <see cref="Op"/> subclass, its attribute in runtime/Dsl, and one line here.
/// </summary>
internal static class OpCatalog
{
    private static readonly Op[] s_ops =
    {
        new DenseOp(),
        new ConvOp(),
        new ConvTransposeOp(),
        new BatchNormOp(),
        new FlattenOp(),
        new UnflattenOp(),
    };

    private static readonly Dictionary<string, Op> s_byName = s_ops.ToDictionary(o => o.Name);
    private static readonly Dictionary<string, Op> s_byAttribute = s_ops.ToDictionary(o => o.AttributeFullName);

    public static IReadOnlyList<Op> All => s_ops;

    public static Op Get(string name) => s_byName[name];

    /// <summary>The op of an attribute class's full name ("GenDsl.ConvAttribute"), or null.</summary>
    public static Op? ForAttribute(string fullName) => s_byAttribute.TryGetValue(fullName, out var op) ? op : null;
}
