// An error box is about the input that was sent: once the operator edits that input, it no longer applies.

/** The part of a react-query mutation this needs. */
type Resettable = { isError: boolean; reset: () => void };

/** Wraps a field's setter so that editing the field clears `mutation`'s error. */
export function clearingError<T>(mutation: Resettable, set: (value: T) => void): (value: T) => void {
  return (value) => {
    if (mutation.isError) {
      mutation.reset();
    }
    set(value);
  };
}
