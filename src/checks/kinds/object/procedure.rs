//! Object type `procedure` (CREATE PROCEDURE): the routine properties of `function`, one
//! implementation for both (`function::Routine`). Reads only the Snapshot.

pub type ProcedureProps = super::function::Routine<true>;

#[cfg(test)]
mod tests {
    use crate::checks::kinds::object::tests::kit;
    use crate::findings::Status;

    #[test]
    fn a_function_is_not_a_procedure() {
        let k = kit();
        let o = k.eval("[[absent]]\nprocedure = \"log_chat_activity\"\n");
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(o.detail(), "no procedure log_chat_activity");
        assert_eq!(
            k.fails("[[exists]]\nprocedure = \"log_chat_activity\"\n"),
            "log_chat_activity: no such procedure (it is a function)"
        );
    }
}
