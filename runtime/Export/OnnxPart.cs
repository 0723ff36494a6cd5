namespace GenDsl.Export;

/// <summary>
/// A part of a model that <c>ExportOnnx</c> writes as one ONNX graph: a flow has <see cref="Sample"/> and
/// <see cref="LogProb"/>, a VAE <see cref="Encode"/> and <see cref="Decode"/>, a GAN <see cref="Generate"/> and
/// <see cref="Discriminate"/>, a semi-supervised VAE (M2) <see cref="Encode"/>, <see cref="Decode"/> and <see cref="Classify"/>, a regressor <see cref="Predict"/>. As strings
/// (the CLI's <c>--part</c>, <c>ExportOnnx(path, "log_prob")</c>) they are written in snake case.
/// </summary>
public enum OnnxPart
{
    /// <summary>Flow, "sample": latent z [batch, D] (and y) → data x [batch, D], x = f(z).</summary>
    Sample,
    /// <summary>Flow, "log_prob": data x [batch, D] (and y) → log_prob [batch], the exact ln p(x) in nats.</summary>
    LogProb,
    /// <summary>VAE and M2, "encode": data x [batch, D] (and y; M2: the one-hot class) → mu [batch, Z], log_var [batch, Z] of q(z|x) (M2: of q(z|x,y)).</summary>
    Encode,
    /// <summary>VAE and M2, "decode": latent z [batch, Z] (and y; M2: the one-hot class) → x [batch, D], the mean of p(x|z) (Bernoulli: the probabilities).</summary>
    Decode,
    /// <summary>GAN, "generate": noise z [batch, Noise] (and y) → x [batch, D].</summary>
    Generate,
    /// <summary>GAN, "discriminate": data x [batch, D] (and y) → logit [batch], the discriminator's logit (a WGAN critic's score).</summary>
    Discriminate,
    /// <summary>Semi-supervised VAE (M2), "classify": data x [batch, D] → probabilities [batch, K], the classifier's q(y|x).</summary>
    Classify,
    /// <summary>Regressor, "predict": input y [batch, K] → x [batch, D], the regressor's x̂ = f(y).</summary>
    Predict,
}

/// <summary>Names and parsing of <see cref="OnnxPart"/> values, and the errors of a part a model does not have.</summary>
public static class OnnxParts
{
    /// <summary>The part's name as the CLI and the string overload of <c>ExportOnnx</c> write it ("log_prob").</summary>
    public static string Name(OnnxPart part) => part switch
    {
        OnnxPart.Sample => "sample",
        OnnxPart.LogProb => "log_prob",
        OnnxPart.Encode => "encode",
        OnnxPart.Decode => "decode",
        OnnxPart.Generate => "generate",
        OnnxPart.Discriminate => "discriminate",
        OnnxPart.Classify => "classify",
        OnnxPart.Predict => "predict",
        _ => ((int)part).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The part named <paramref name="part"/> (case-insensitive; "log-prob" and "logprob" are accepted too),
    /// when <paramref name="model"/> has it; otherwise an <see cref="ArgumentException"/> naming the valid ones.
    /// </summary>
    public static OnnxPart Parse(string part, string model, IReadOnlyList<OnnxPart> valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        string key = (part ?? "").Trim().Replace('-', '_').ToLowerInvariant();
        foreach (var p in valid)
            if (Name(p) == key || Name(p).Replace("_", "") == key)
                return p;
        throw Unknown(part ?? "", model, valid);
    }

    /// <summary>The exception for a part <paramref name="model"/> does not export, naming the ones it does.</summary>
    public static ArgumentException Unknown(string part, string model, IReadOnlyList<OnnxPart> valid) =>
        new($"{model} has no ONNX part '{part}': use {string.Join(" or ", valid.Select(p => $"'{Name(p)}'"))}.", nameof(part));

    /// <summary>Checks that <paramref name="model"/> exports <paramref name="part"/> (an enum value of another model kind fails, naming the valid ones).</summary>
    public static void Check(OnnxPart part, string model, IReadOnlyList<OnnxPart> valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        if (!valid.Contains(part))
            throw Unknown(Name(part), model, valid);
    }
}

/// <summary>A model that writes its parts as ONNX graphs (every generated flow, VAE, GAN and semi-supervised VAE).</summary>
public interface IOnnxExportable
{
    /// <summary>The parts this model exports, in order.</summary>
    IReadOnlyList<OnnxPart> OnnxExportParts { get; }

    /// <summary>Writes <paramref name="part"/> as an ONNX model (opset <see cref="OnnxGraphBuilder.Opset"/>, float32, dynamic batch) to <paramref name="path"/>.</summary>
    void ExportOnnx(string path, OnnxPart part);

    /// <summary><paramref name="part"/> as the bytes of an ONNX model (what <see cref="ExportOnnx(string, OnnxPart)"/> writes).</summary>
    byte[] ExportOnnx(OnnxPart part);
}
