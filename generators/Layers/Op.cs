using System.Collections.Generic;
using System.Linq;
using GenDsl.Generators.Flows;
using GenDsl.Generators.Helpers;
using Microsoft.CodeAnalysis;

namespace GenDsl.Generators.Layers;

/// <summary>One argument of an op's attribute: how it is written, its default and its valid range.</summary>
/// <param name="Name">As written in code: the constructor parameter ("width") or the named argument ("Stride").</param>
/// <param name="IsNamed">A named argument (a property of the attribute) rather than a constructor parameter.</param>
/// <param name="Default">Its value when it is not written.</param>
/// <param name="Min">Smallest valid value.</param>
/// <param name="Max">Largest valid value (for an enum: its last member).</param>
/// <param name="Meaning">What it is, for messages ("output channels").</param>
/// <param name="EnumType">For an enum argument, its type name ("Activation"); null for a number.</param>
internal sealed record OpArgument(string Name, bool IsNamed, int Default, int Min, int Max, string Meaning, string? EnumType = null);

/// <summary>A parameter (or buffer) tensor of an op, named and laid out as in PyTorch.</summary>
/// <param name="Kind">Short key, part of the offset constant's name ("W", "B", "Gamma").</param>
/// <param name="Suffix">The last part of its checkpoint name ("weight", "bias", "running_mean").</param>
/// <param name="Shape">Its shape, PyTorch's layout (a conv weight is [out, in, kh, kw]).</param>
/// <param name="IsBuffer">Saved in checkpoints but not learned (batch norm's running statistics): lives in the buffer arena.</param>
internal sealed record TensorDecl(string Kind, string Suffix, int[] Shape, bool IsBuffer = false)
{
    public long Length => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A scratch or saved slice an op needs besides its output.</summary>
/// <param name="Suffix">Appended to the node's field prefix ("_D1" + "_mean").</param>
/// <param name="Width">Floats per row (RowsFactor ≥ 1) or in all (PerRow false); ignored when <paramref name="SizeExpression"/> is set.</param>
/// <param name="PerRow">Sized per MaxBatch row (times the network's rows factor).</param>
/// <param name="Comment">What it holds.</param>
/// <param name="SizeExpression">A C# expression evaluated by the generated constructor (it may use _maxBatch and _pool), for sizes only the runtime knows.</param>
internal sealed record ExtraSlice(string Suffix, int Width, bool PerRow, string Comment, string? SizeExpression = null);

/// <summary>What an op's shape rule says: the output shape, or what is wrong and at which argument.</summary>
internal readonly struct ShapeResult
{
    private ShapeResult(Shape output, string? error, string? argument, string id)
    {
        Output = output;
        Error = error;
        Argument = argument;
        Id = id;
    }

    public Shape Output { get; }
    public string? Error { get; }
    /// <summary>The argument the error is about (its <see cref="OpArgument.Name"/>), or null for the whole attribute.</summary>
    public string? Argument { get; }

    /// <summary>The diagnostic: GD0005 (a value below its minimum, an unknown enum value), GD0015 (above GenDsl's limit), GD0016 (shapes that do not chain).</summary>
    public string Id { get; }

    public static ShapeResult Ok(Shape output) => new(output, null, null, "");
    public static ShapeResult Fail(string error, string? argument = null, string id = "GD0016") => new(default, error, argument, id);
}

/// <summary>
/// A node of a planned network: one op with its shapes, arena slices and tensor constants resolved.
/// </summary>
internal sealed class OpNode
{
    public Op Op = null!;
    public OpSpec Spec = null!;
    /// <summary>The declaring member ("E1"), or "" for an implied head.</summary>
    public string Member = "";
    /// <summary>Unique name of the node in the model ("E1", "EncHead", "C1" + "0"): prefix of its emitted declarations.</summary>
    public string Name = "";
    /// <summary>Position among the network's emitting (non-view) nodes: names h1, h2 … and the gradient ping-pong.</summary>
    public int Index;
    public Shape In, Out;
    public string InputField = "", OutputField = "";
    /// <summary>The network's rows factor (2 or 3 for a discriminator that sees real and fake rows together).</summary>
    public int RowsFactor = 1;
    /// <summary>Start the learned weights at zero (a coupling's output layer: each coupling starts as the identity).</summary>
    public bool ZeroInit;
    /// <summary>Tensor kind → offset constant name.</summary>
    public Dictionary<string, string> Consts = new();
    /// <summary>Extra slice suffix → activation field name.</summary>
    public Dictionary<string, string> Fields = new();
    public List<(TensorDecl Tensor, string Name, string Const)> Tensors = new();
    /// <summary>"a" / "h2" / "out": how the emitted comments name this node's input and output.</summary>
    public string InName = "a", OutName = "out";

    public int Arg(string name) => Op.Arg(Spec, name);
    public string Const(string kind) => Consts[kind];
    public string Field(string suffix) => Fields[suffix];
    /// <summary>The length field of a runtime-sized extra slice.</summary>
    public string FieldLength(string suffix) => Fields[suffix] + "Length";
    /// <summary>The activation (GenDsl.Activation value) applied last by this op, 0 when none.</summary>
    public int Activation => Op.ActivationOf(Spec);
    public string Describe() => Op.Describe(this);
}

/// <summary>What the forward emission of a node may use.</summary>
/// <param name="Rows">The C# expression of the row count ("rows", "2 * rows").</param>
/// <param name="Training">The C# expression of the training flag ("training", "true").</param>
internal sealed record ForwardContext(string Rows, string Training);

/// <summary>What the backward emission of a node may use.</summary>
/// <param name="Rows">The row-count expression.</param>
/// <param name="GradOutput">Field holding ∂L/∂(this node's output); the op may overwrite it.</param>
/// <param name="GradInput">Field to write ∂L/∂(this node's input) to, or null when nobody needs it.</param>
/// <param name="ParameterGradients">Write ∂L/∂(parameters) (overwriting); false: leave the gradient arena untouched.</param>
internal sealed record BackwardContext(string Rows, string GradOutput, string? GradInput, bool ParameterGradients);

/// <summary>What the ONNX emission of a node may use (the generated code builds the graph through a GenDsl.Export.OnnxGraphBuilder).</summary>
/// <param name="Builder">The C# expression of the graph builder ("g").</param>
/// <param name="Input">The C# variable holding the ONNX name of the node's input value: [batch, C] for a vector input, [batch, C, H, W] for an image.</param>
/// <param name="Output">The C# variable to declare with the ONNX name of the node's output, in the same convention (a view may alias its input).</param>
/// <param name="ValueName">The ONNX name hint of the output ("E1", "C1.net.0"): the declaration's names.</param>
internal sealed record OnnxContext(string Builder, string Input, string Output, string ValueName);

/// <summary>
/// One kind of network layer: everything the generator knows about it lives in its subclass, in one
/// file — its attribute and arguments, its shape rule and validation, its parameter tensors (PyTorch
/// names and layouts) and initialisation, the arena slices it needs, and the forward and backward code
/// it emits (the backward beside the forward, commented with the line it differentiates). Model
/// emitters compose ops through <see cref="NetworkPlan"/> and <see cref="NetworkEmitter"/> and never
/// look inside one. Register a new op in <see cref="OpCatalog"/>.
/// </summary>
internal abstract class Op
{
    /// <summary>The attribute's short name as written ("Dense"); the attribute class is GenDsl.{Name}Attribute.</summary>
    public abstract string Name { get; }

    public string AttributeFullName => "GenDsl." + Name + "Attribute";

    /// <summary>The attribute's arguments in <see cref="OpSpec.Args"/> order.</summary>
    public abstract IReadOnlyList<OpArgument> Arguments { get; }

    /// <summary>The type of the layer's member ("Dense" for <c>public partial Dense E1 { get; }</c>), in namespace GenDsl.</summary>
    public virtual string MemberType => Name;

    /// <summary>Only reshapes (Flatten, Unflatten): emits no code, its output aliases its input.</summary>
    public virtual bool IsView => false;

    /// <summary>Needs a training flag (batch norm: batch statistics in training, running ones otherwise).</summary>
    public virtual bool UsesTrainingFlag => false;

    /// <summary>The op's output is an image made by the op itself (a convolution): a decoder or generator that ends with one has no implied dense head.</summary>
    public virtual bool MakesImage => false;

    public int Arg(OpSpec spec, string name)
    {
        for (int i = 0; i < Arguments.Count; i++)
            if (Arguments[i].Name == name)
                return spec[i];
        throw new System.ArgumentException($"{Name} has no argument {name}");
    }

    /// <summary>The activation applied last by the op (GenDsl.Activation value), 0 when it has none.</summary>
    public virtual int ActivationOf(OpSpec spec) => 0;

    /// <summary>Reads the attribute into a spec: constructor arguments by position, named ones by name, defaults elsewhere.</summary>
    public OpSpec Parse(AttributeData attribute)
    {
        var values = Arguments.Select(a => a.Default).ToArray();
        int position = 0;
        for (int i = 0; i < Arguments.Count && position < attribute.ConstructorArguments.Length; i++)
        {
            if (Arguments[i].IsNamed)
                continue;
            values[i] = ToInt(attribute.ConstructorArguments[position++]);
        }
        foreach (var named in attribute.NamedArguments)
        {
            for (int i = 0; i < Arguments.Count; i++)
                if (Arguments[i].IsNamed && Arguments[i].Name == named.Key)
                    values[i] = ToInt(named.Value);
        }
        return new OpSpec(Name, values.ToEquatableArray());
    }

    private static int ToInt(TypedConstant value) => value.Kind == TypedConstantKind.Array ? 0 : value.Value switch
    {
        int i => i,
        _ => 0,
    };

    /// <summary>
    /// Checks the arguments against their ranges (before anything is computed from them), then applies
    /// the op's shape rule. Findings name the member, the computed shapes and the fix.
    /// </summary>
    public ShapeResult Check(OpSpec spec, Shape input, string member)
    {
        var arguments = CheckArguments(spec, member);
        return arguments.Error is not null ? arguments : OutShape(spec, input, member);
    }

    /// <summary>The arguments against their ranges only (no shapes): an error, or Ok with a default shape.</summary>
    public ShapeResult CheckArguments(OpSpec spec, string member)
    {
        for (int i = 0; i < Arguments.Count; i++)
        {
            var a = Arguments[i];
            int v = spec[i];
            if (v < a.Min || v > a.Max)
            {
                string written = a.IsNamed ? $"{a.Name} = {v}" : $"{a.Name} {v}";
                string range = a.EnumType is not null
                    ? $"{v} is not a value of GenDsl.{a.EnumType}: use one of its named members"
                    : v > a.Max ? $"GenDsl's limit for the {a.Meaning} is {a.Max}" : $"the {a.Meaning} must be ≥ {a.Min}";
                string id = a.EnumType is null && v > a.Max ? "GD0015" : "GD0005";
                return ShapeResult.Fail($"Layer '{member}' has [{Name}] with {written}: {range}", a.Name, id);
            }
        }
        return ShapeResult.Ok(default);
    }

    /// <summary>The output shape for this input, or what does not fit (arguments are already in range).</summary>
    protected abstract ShapeResult OutShape(OpSpec spec, Shape input, string member);

    /// <summary>The op's learned tensors and buffers, from its planned shapes.</summary>
    public virtual IEnumerable<TensorDecl> Tensors(OpNode node) => Enumerable.Empty<TensorDecl>();

    /// <summary>Extra arena slices (saved statistics, scratch).</summary>
    public virtual IEnumerable<ExtraSlice> Extras(OpNode node) => Enumerable.Empty<ExtraSlice>();

    /// <summary>Learned parameters the op has for these shapes (for the parameter-count bound), as a long.</summary>
    public long ParameterCount(OpNode node) => Tensors(node).Sum(t => t.Length);

    /// <summary>Emits class-level declarations the node's code uses (a convolution's static shape).</summary>
    public virtual void EmitDeclarations(SourceWriter w, OpNode node)
    {
    }

    /// <summary>Emits the initialisation of the node's tensors into ResetParameters (p = the parameter span, rng = the init stream).</summary>
    public virtual void EmitInit(SourceWriter w, OpNode node)
    {
    }

    /// <summary>"h2 = relu(h1 · W1ᵀ + b1)": the forward line, quoted above the backward that differentiates it.</summary>
    public abstract string Describe(OpNode node);

    /// <summary>
    /// Emits the C# that adds the node's ONNX nodes (and its tensors as initialisers, named as in checkpoints) to the
    /// graph builder of <paramref name="context"/>: inference form (batch norm with its running statistics), float32.
    /// The input and output values follow the shapes: rank 2 for a vector, rank 4 for an image.
    /// </summary>
    public abstract void EmitOnnx(SourceWriter w, OpNode node, OnnxContext context);

    /// <summary>The builder call that adds tensor <paramref name="kind"/> of the node as an initialiser named as in checkpoints; evaluates to its ONNX name.</summary>
    protected static string OnnxInitializer(OpNode node, OnnxContext context, string kind)
    {
        foreach (var (tensor, name, constName) in node.Tensors)
        {
            if (tensor.Kind != kind)
                continue;
            string arena = tensor.IsBuffer ? "_buffers" : "_parameters";
            return $"{context.Builder}.Initializer({Lit.Str(name)}, {arena}.Span.Slice({constName}, {tensor.Length}), {Lit.Ints(tensor.Shape)})";
        }
        throw new System.ArgumentException($"{node.Name} has no tensor {kind}");
    }

    /// <summary>The builder call that reshapes a rank-2 input to the image <paramref name="shape"/> (rank 4).</summary>
    protected static string OnnxAsImage(OnnxContext context, string value, Shape shape, string hint) =>
        $"{context.Builder}.Reshape({Lit.Str(hint)}, {value}, {shape.C}, {shape.H}, {shape.W})";

    public abstract void EmitForward(SourceWriter w, OpNode node, ForwardContext context);

    public abstract void EmitBackward(SourceWriter w, OpNode node, BackwardContext context);

    /// <summary>GenDsl.Activation names in enum order.</summary>
    public static readonly string[] ActivationNames = { "Identity", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softplus" };

    /// <summary>The Activation argument's description.</summary>
    protected static OpArgument ActivationArgument(bool isNamed, int @default, string name = "Activation") =>
        new(name, isNamed, @default, 0, ActivationNames.Length - 1, "activation", "Activation");

    /// <summary>"relu(inner)" or "inner" for the identity.</summary>
    protected static string Apply(int activation, string inner) =>
        activation == 0 ? inner : $"{ActivationNames[activation].ToLowerInvariant()}({inner})";

    /// <summary>The epilogue argument list of an activation: ", Activation.LeakyRelu, 0.2f".</summary>
    protected static string ActivationArgs(int activation) => activation switch
    {
        0 => "",
        2 => ", Activation.LeakyRelu, 0.2f",
        _ => $", Activation.{ActivationNames[activation]}",
    };

    /// <summary>The rows expression scaled by the node's rows factor is already in the context; this is the width comment.</summary>
    protected static string Span(string rows, Shape s) => $"[{rows}, {(s.IsVector ? s.C.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{s.C}·{s.H}·{s.W}")}]";

    // ---------------------------------------------------------------------------------------------
    // PyTorch export (model.ExportPyTorch): every op writes its own PyTorch code. The module holds
    // the op's tensors at the op's checkpoint names (module "self.E1" owns "E1.weight"), so the
    // exported weights load with load_state_dict; forwards use torch.nn.functional on them.
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The Python statements of the module's <c>__init__</c> that create the node's tensors on
    /// <paramref name="module"/> (an <c>nn.Module</c> expression, "self.E1"): parameters with
    /// <c>nn.Parameter</c>, buffers with <c>register_buffer</c>, each initialised as <see cref="EmitInit"/> does.
    /// </summary>
    public virtual IEnumerable<string> PyTorchDeclarations(OpNode node, string module)
    {
        foreach (var (tensor, _, _) in node.Tensors)
        {
            string value = PyTorchInitial(node, tensor);
            yield return tensor.IsBuffer
                ? $"{module}.register_buffer(\"{tensor.Suffix}\", {value})"
                : $"{module}.{tensor.Suffix} = nn.Parameter({value})";
        }
    }

    /// <summary>The torch expression of a tensor's initial value (its shape in PyTorch's layout); zeros unless the op says otherwise.</summary>
    protected virtual string PyTorchInitial(OpNode node, TensorDecl tensor) => $"torch.zeros({PyShape(tensor.Shape)})";

    /// <summary>
    /// The torch expression of the node's output given its input expression <paramref name="x"/> (a tensor of
    /// rows: [B, n] for a vector, [B, C, H, W] or flat [B, C·H·W] for an image; the op reshapes what it needs),
    /// with its parameters on <paramref name="module"/>. The Python variable <c>training</c> is in scope (batch
    /// statistics or running ones). Null: the op has no PyTorch code yet (the export then raises NotImplementedError).
    /// </summary>
    public virtual string? PyTorchForward(OpNode node, string module, string x) => null;

    /// <summary>"torch.relu(inner)", "F.leaky_relu(inner, 0.2)" … or inner for the identity (GenDsl's activations, exactly).</summary>
    internal static string PyActivation(int activation, string inner) => activation switch
    {
        0 => inner,
        1 => $"torch.relu({inner})",
        2 => $"F.leaky_relu({inner}, 0.2)",
        3 => $"torch.tanh({inner})",
        4 => $"torch.sigmoid({inner})",
        _ => $"_softplus({inner})",
    };

    /// <summary>"(64, 3, 4, 4)" or "(8,)".</summary>
    protected static string PyShape(int[] shape) =>
        shape.Length == 1 ? $"({shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture)},)" : $"({Lit.Ints(shape)})";

    /// <summary>torch.empty(shape).uniform_(−bound, bound): torch.nn's default initialisation of weights and biases.</summary>
    protected static string PyUniform(int[] shape, int fanIn) =>
        $"torch.empty({PyShape(shape)}).uniform_(-{PyFloat(1.0 / System.Math.Sqrt(fanIn))}, {PyFloat(1.0 / System.Math.Sqrt(fanIn))})";

    /// <summary>A Python float literal (invariant culture, round-trip).</summary>
    public static string PyFloat(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) is var s && (s.Contains(".") || s.Contains("E")) ? s : s + ".0";
}
