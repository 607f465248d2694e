using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>
/// A Microsoft.ML row cursor that serves rows out of batches computed ahead (patches read,
/// featurized or sampled a batch at a time), so row-at-a-time consumers still get batched work.
/// </summary>
internal sealed class BatchRowCursor : DataViewRowCursor
{
    private readonly IEnumerator<DataBatch> _batches;
    private readonly bool[] _active;
    private DataBatch? _batch;
    private int _row = -1;
    private long _position = -1;
    private bool _done;

    /// <summary>Creates the cursor; <paramref name="batches"/> must carry every active column.</summary>
    public BatchRowCursor(DataViewSchema schema, IEnumerable<DataViewSchema.Column> active, IEnumerable<DataBatch> batches)
    {
        Schema = schema;
        _active = new bool[schema.Count];
        foreach (var c in active) _active[c.Index] = true;
        _batches = batches.GetEnumerator();
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _position;

    public override long Batch => 0;

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        if (_done) return false;
        while (_batch is null || ++_row >= _batch.RowCount)
        {
            if (!_batches.MoveNext())
            {
                _done = true;
                _batch = null;
                return false;
            }
            _batch = _batches.Current;
            _row = -1;
        }
        _position++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
        id = new DataViewRowId((ulong)EnsurePositioned(), 0);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
        string name = column.Name;
        Delegate getter = ColumnTypes.KindOf(column.Type) switch
        {
            ColumnKind.Float32 => ScalarGetter<float>(name),
            ColumnKind.Float64 => ScalarGetter<double>(name),
            ColumnKind.Int32 => ScalarGetter<int>(name),
            ColumnKind.Int64 => ScalarGetter<long>(name),
            ColumnKind.Boolean => ScalarGetter<bool>(name),
            ColumnKind.Image => ScalarGetter<SlideReference>(name),
            ColumnKind.Text => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) =>
                value = Current.GetTexts(name)[_row].AsMemory()),
            ColumnKind.FloatTensor => VectorGetter(name, ColumnTypes.SizeOf(column.Type)),
            _ => PassedGetter(name, column.Type.RawType),
        };
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
            $"Column '{name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _batches.Dispose();
        base.Dispose(disposing);
    }

    private DataBatch Current
    {
        get
        {
            EnsurePositioned();
            return _batch!;
        }
    }

    private long EnsurePositioned() => _batch is not null && _row >= 0
        ? _position
        : throw new InvalidOperationException("The cursor is not on a row (call MoveNext first).");

    // Values of other Microsoft.ML types, held as they came (VBuffers copied out, as ML.NET getters do).
    private Delegate PassedGetter(string name, Type raw)
    {
        var method = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? nameof(BufferGetter) : nameof(ScalarGetter);
        var generic = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>) ? raw.GetGenericArguments()[0] : raw;
        return (Delegate)typeof(BatchRowCursor).GetMethod(method, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .MakeGenericMethod(generic).Invoke(this, [name])!;
    }

    private ValueGetter<VBuffer<T>> BufferGetter<T>(string name) => (ref VBuffer<T> value) =>
        ((VBuffer<T>[])Current.GetArray(name))[_row].CopyTo(ref value);

    private ValueGetter<T> ScalarGetter<T>(string name) => (ref T value) => value = ((T[])Current.GetArray(name))[_row];

    private ValueGetter<VBuffer<float>> VectorGetter(string name, int size) => (ref VBuffer<float> value) =>
    {
        var source = Current.GetFloats(name).AsSpan(_row * size, size);
        var editor = VBufferEditor.Create(ref value, size);
        source.CopyTo(editor.Values);
        value = editor.Commit();
    };
}
