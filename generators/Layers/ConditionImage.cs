using System.Collections.Generic;

namespace GenDsl.Generators.Layers;

/// <summary>
/// An image condition, [Flow]/[Vae]/[Gan](ConditionChannels = C_y, ConditionHeight = H_y, ConditionWidth = W_y): each
/// condition row is an image [C_y, H_y, W_y], channel-major, which the networks that read image data take as C_y extra
/// channels resized to their own height and width (GenDsl.Numerics.ConditionKernels.Resize, torch's
/// adaptive_avg_pool2d); all zero: a vector condition (one constant channel per value).
/// </summary>
internal readonly record struct ConditionImage(int Channels, int Height, int Width)
{
    /// <summary>Any of the three written (the checks below require all three ≥ 1).</summary>
    public bool IsSet => Channels != 0 || Height != 0 || Width != 0;

    /// <summary>C_y·H_y·W_y, the condition's size.</summary>
    public long Values => (long)Channels * Height * Width;

    /// <summary>The channels the condition adds to an image network's input: C_y, or the condition size k for a vector condition (k constant channels).</summary>
    public int ChannelCount(int condition) => IsSet ? Channels : condition;

    /// <summary>The condition size the parser records: C_y·H_y·W_y (saturated) when all three are ≥ 1, else the declared Condition.</summary>
    public int ConditionSize(int declaredCondition) =>
        Channels > 0 && Height > 0 && Width > 0 ? (Values > int.MaxValue ? int.MaxValue : (int)Values) : declaredCondition;

    /// <summary>
    /// What is wrong with the declaration (GD0005), as (argument at fault, message): a dimension below 1, a written
    /// Condition that is not the product, image data missing (<paramref name="imageData"/> false; <paramref name="dataHint"/>
    /// says what to declare).
    /// </summary>
    public IEnumerable<(string Argument, string Message)> Check(string model, int declaredCondition, bool imageData, string dataHint)
    {
        if (!IsSet)
            yield break;
        foreach (var (dimension, value) in new[] { ("ConditionChannels", Channels), ("ConditionHeight", Height), ("ConditionWidth", Width) })
            if (value < 1)
                yield return (dimension, $"{model} has {dimension} = {value}: an image condition needs ConditionChannels, ConditionHeight and ConditionWidth all ≥ 1 (each condition row is an image stored channel-major)");
        bool valid = Channels >= 1 && Height >= 1 && Width >= 1;
        if (valid && declaredCondition != 0 && declaredCondition != Values)
            yield return ("Condition", $"{model} has Condition = {declaredCondition} but ConditionChannels·ConditionHeight·ConditionWidth = {Channels}·{Height}·{Width} = {Values}: leave Condition out (it is their product)");
        if (!imageData)
            yield return ("ConditionChannels", $"{model} declares an image condition (ConditionChannels, ConditionHeight, ConditionWidth), which only {dataHint}: declare the data's Channels, Height and Width, or use Condition = {(valid && Values <= int.MaxValue ? Values.ToString(System.Globalization.CultureInfo.InvariantCulture) : "k")} for a vector condition");
    }
}
