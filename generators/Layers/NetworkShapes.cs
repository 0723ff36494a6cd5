using System.Collections.Generic;
using GenDsl.Generators.Flows;

namespace GenDsl.Generators.Layers;

/// <summary>
/// Checks that a network's layers chain, before anything is planned: each op's arguments against
/// their ranges, then its output shape from its input shape, then the size bounds of
/// <see cref="Limits"/>. Shared by the generator (which skips a model with errors) and the analyzers
/// (which report the finding on the attribute, or the argument, at fault, with the computed shapes).
/// </summary>
internal static class NetworkShapes
{
    /// <summary>A layer of a network as the validator sees it.</summary>
    /// <param name="Layer">Its index in the model spec's layer list (for the location).</param>
    /// <param name="Member">Its member name.</param>
    /// <param name="Spec">Its op.</param>
    internal readonly record struct Item(int Layer, string Member, OpSpec Spec);

    /// <summary>
    /// The network's output shape, or null after reporting the first layer that does not fit (the
    /// shapes after it would be meaningless). <paramref name="network"/> names the network in messages.
    /// </summary>
    public static Shape? Chain(Shape input, IEnumerable<Item> layers, string network, List<DiagnosticInfo> found)
    {
        var shape = input;
        foreach (var item in layers)
        {
            var op = OpCatalog.Get(item.Spec.Op);
            var result = op.Check(item.Spec, shape, item.Member);
            if (result.Error is not null)
            {
                string message = result.Id == "GD0016" ? $"{result.Error} (input of '{item.Member}' in the {network}: {shape})" : result.Error;
                Report(found, result.Id, message, item.Layer, op, result.Argument);
                return null;
            }
            if (result.Output.LongSize > Limits.MaxValues)
            {
                Report(found, "GD0015", $"Layer '{item.Member}' makes {result.Output} = {result.Output.LongSize} values per example in the {network}, more than GenDsl's limit of {Limits.MaxValues}: use fewer channels or units", item.Layer, op, null);
                return null;
            }
            shape = result.Output;
        }
        return shape;
    }

    /// <summary>Adds a finding located at the argument at fault, or at the op's attribute.</summary>
    public static void Report(List<DiagnosticInfo> found, string id, string message, int layer, Op op, string? argument)
    {
        OpArgument? arg = null;
        if (argument is not null)
            foreach (var a in op.Arguments)
                if (a.Name == argument)
                    arg = a;
        if (arg is null)
            found.Add(new DiagnosticInfo(id, message, layer, true, FindingTarget.MemberAttribute, op.Name));
        else if (arg.IsNamed)
            found.Add(new DiagnosticInfo(id, message, layer, true, FindingTarget.NamedArgument, arg.Name));
        else
            found.Add(new DiagnosticInfo(id, message, layer, true, FindingTarget.ConstructorArgument, arg.Name));
    }
}
