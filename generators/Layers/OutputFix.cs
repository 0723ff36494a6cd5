using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Helpers;

namespace GenDsl.Generators.Layers;

/// <summary>One argument of a layer's attribute set to one value: a change that makes its output the data's shape.</summary>
/// <param name="Argument">The argument as written (<see cref="OpArgument.Name"/>: "Padding", "channels").</param>
/// <param name="IsNamed">A named argument (<c>Padding = 1</c>) rather than a constructor parameter.</param>
/// <param name="Position">For a constructor parameter, its position (0 for channels); -1 for a named argument.</param>
/// <param name="Value">The value that fits.</param>
internal readonly record struct ArgumentChange(string Argument, bool IsNamed, int Position, int Value)
{
    /// <summary>"Padding = 1", "channels to 2", as the messages write "set …".</summary>
    public override string ToString() => IsNamed ? $"{Argument} = {Value}" : $"{Argument} to {Value}";
}

/// <summary>
/// The GD0016 code fix's rule for the last layer of a decoder or generator that makes the image itself
/// (a [Conv] or [ConvTranspose]): the data's shape pins its output, so a change of one argument that
/// gives exactly that shape is unambiguous when it is the only one. The candidates are the arguments
/// that only adjust the output's size or channel count, never what the layer computes: its channels
/// (when only they differ: the one value is the data's), its Padding and, for a [ConvTranspose], its
/// OutputPadding. Kernel and stride are design decisions (a kernel of 2 also turns 14 into 28), so
/// they are never changed, and a padding is at most kernel − 1 (more pads with nothing but zeros, or
/// crops whole rows a transposed kernel wrote). Each argument has at most one fitting value (the output size is strictly
/// monotonic in it); when two arguments fit (Padding = 0 or OutputPadding = 2) the change is ambiguous
/// and no fix is offered, the message names both. Every candidate is checked with the op's own shape
/// rule (<see cref="Op.Check"/>), so a fix never trades one diagnostic for another of the chain.
/// </summary>
internal static class OutputFix
{
    /// <summary>The arguments a fix may change, besides a constructor parameter named channels.</summary>
    private static readonly string[] s_border = { "Padding", "OutputPadding" };

    /// <summary>Every single-argument change that makes the layer's output <paramref name="expected"/> (none, one, or several: ambiguous).</summary>
    public static List<ArgumentChange> Changes(OpSpec spec, Shape input, Shape expected, string member)
    {
        var changes = new List<ArgumentChange>();
        var op = OpCatalog.Get(spec.Op);
        if (!op.MakesImage)
            return changes;
        int position = 0;
        for (int i = 0; i < op.Arguments.Count; i++)
        {
            var a = op.Arguments[i];
            int argumentPosition = a.IsNamed ? -1 : position++;
            IEnumerable<int> values;
            if (!a.IsNamed && a.Name == "channels")
                values = new[] { expected.C };
            else if (a.IsNamed && s_border.Contains(a.Name))
            {
                // A padding of the kernel's side or more makes border pixels of nothing but zeros (or crops
                // whole rows a transposed kernel wrote): valid, but never the fix one means.
                int kernel = KernelOf(op, spec);
                int max = a.Name == "Padding" && kernel > 0 ? System.Math.Min(a.Max, kernel - 1) : a.Max;
                values = Enumerable.Range(a.Min, System.Math.Max(0, max - a.Min + 1));
            }
            else
                continue;
            foreach (int v in values)
            {
                if (v == spec[i] || v < a.Min || v > a.Max)
                    continue;
                var changed = With(spec, i, v);
                var result = op.Check(changed, input, member);
                if (result.Error is null && result.Output.Equals(expected))
                {
                    changes.Add(new ArgumentChange(a.Name, a.IsNamed, argumentPosition, v));
                    break; // at most one value per argument fits (the output is monotonic in it)
                }
            }
        }
        return changes;
    }

    /// <summary>"Padding = 1", "Padding = 0 or OutputPadding = 2".</summary>
    public static string Describe(List<ArgumentChange> changes) => string.Join(" or ", changes.Select(c => c.ToString()));

    /// <summary>The op's kernel side, 0 when it has none (never throws, unlike <see cref="Op.Arg"/>).</summary>
    private static int KernelOf(Op op, OpSpec spec)
    {
        for (int i = 0; i < op.Arguments.Count; i++)
            if (op.Arguments[i].Name == "kernel")
                return spec[i];
        return 0;
    }

    private static OpSpec With(OpSpec spec, int index, int value)
    {
        var args = new int[System.Math.Max(spec.Args.Count, index + 1)];
        for (int i = 0; i < args.Length; i++)
            args[i] = i == index ? value : spec[i];
        return spec with { Args = args.ToEquatableArray() };
    }
}
