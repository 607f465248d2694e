using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>
/// The Microsoft.ML column type of image and whole-slide references (<see cref="SlideReference"/>
/// values). Pixels are never held in a data view: patch transforms open the file lazily.
/// </summary>
public sealed class SlideDataViewType : StructuredDataViewType
{
    private SlideDataViewType() : base(typeof(SlideReference)) { }

    /// <summary>The single instance.</summary>
    public static SlideDataViewType Instance { get; } = new();

    /// <summary>
    /// Tells Microsoft.ML that <see cref="SlideReference"/> fields of plain classes are columns of this type
    /// (for <c>LoadFromEnumerable</c> and <c>CreateEnumerable</c>). Safe to call more than once.
    /// </summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            DataViewTypeManager.Register(Instance, typeof(SlideReference));
            _registered = true;
        }
    }

    private static readonly object Gate = new();
    private static bool _registered;

    /// <inheritdoc />
    public override bool Equals(DataViewType? other) => other is SlideDataViewType;

    /// <inheritdoc />
    public override bool Equals(object? other) => other is SlideDataViewType;

    /// <inheritdoc />
    public override int GetHashCode() => typeof(SlideDataViewType).GetHashCode();

    /// <inheritdoc />
    public override string ToString() => "Slide";
}
